import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPackage, findCycles, lineCount, type Rules } from '../src/check.ts';
import { RULES } from '../src/rules.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** Writes a package folder (package.json named `name`, the given src/ files) into a fresh temp dir. */
function tree(name: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'socketlab-architecture-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'src', path)), { recursive: true });
    writeFileSync(join(dir, 'src', path), text);
  }
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => `export const x${i} = ${i};\n`).join('');

const rules = (packages: Rules['packages'], maxLines = 300): Rules => ({
  maxLines,
  packageLayers: [['feature-a', 'feature-b'], ['shared-x'], ['base']],
  packages,
});

test('a tree that keeps every rule has no violation', () => {
  const dir = tree('@socketlab/feature-a', {
    'index.ts': "import { b } from './b.ts';\nimport { base } from '@socketlab/base';\nexport const a = b + base;\n",
    'b.ts': lines(300),
  });
  const r = checkPackage(dir, rules({}));
  assert.deepEqual(r.violations, []);
  assert.equal(r.files, 2);
  assert.deepEqual(r.largest, { file: 'src/b.ts', lines: 300 });
});

test('an import cycle is reported as its path, whatever kind of import closes it', () => {
  const dir = tree('@socketlab/feature-a', {
    'a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
    'b.ts': "export { c as b } from './deep/c.js';\n",
    'deep/c.ts': "import type { A } from '../a.ts';\nexport const c = 1 as A;\n",
    'free.ts': "import { a } from './a.ts';\nexport const f = a;\n",
    'self.ts': "import { s as t } from './self';\nexport const s = 1;\nexport const u = t;\n",
  });
  const r = checkPackage(dir, rules({}));
  assert.deepEqual(r.cycles, [['a.ts', 'b.ts', 'deep/c.ts', 'a.ts'], ['self.ts', 'self.ts']]);
  assert.deepEqual(r.violations.map((v) => [v.rule, v.where, v.message]), [
    ['cycle', 'src/a.ts', 'import cycle: src/a.ts → src/b.ts → src/deep/c.ts → src/a.ts'],
    ['cycle', 'src/self.ts', 'import cycle: src/self.ts → src/self.ts'],
  ]);
});

test('findCycles gives the shortest way round each group of files that import each other', () => {
  const edges = new Map([['a', ['b']], ['b', ['c', 'a']], ['c', ['a']], ['d', ['e']], ['e', []]]);
  assert.deepEqual(findCycles(edges), [['a', 'b', 'a']]);
});

test('a file over the limit fails; a frozen one may not grow, and a frozen entry must follow it down', () => {
  const dir = tree('@socketlab/feature-a', {
    'new.ts': lines(301),
    'grew.ts': lines(351),
    'same.ts': lines(340),
    'shrank.ts': lines(320),
    'fits.ts': lines(300),
  });
  const r = checkPackage(dir, rules({ 'feature-a': { frozen: { 'grew.ts': 350, 'same.ts': 340, 'shrank.ts': 330, 'fits.ts': 310, 'gone.ts': 400 } } }));
  assert.deepEqual(r.violations.map((v) => [v.rule, v.where, v.message]), [
    ['allow-list', 'src/fits.ts', '300 lines, within the limit of 300 now: remove its frozen entry'],
    ['size', 'src/grew.ts', '351 lines: grew past the 350 it is frozen at (limit 300): split it, do not raise the entry'],
    ['size', 'src/new.ts', '301 lines, over the limit of 300: split it'],
    ['allow-list', 'src/shrank.ts', '320 lines, frozen at 330: lower its frozen entry to 320'],
    ['allow-list', 'src/gone.ts', 'frozen, but there is no such file: remove its entry'],
  ]);
});

test('lineCount counts like wc -l, plus a last line without a newline', () => {
  assert.equal(lineCount(''), 0);
  assert.equal(lineCount('a\nb\n'), 2);
  assert.equal(lineCount('a\nb'), 2);
});

test('an arrow from a layer up into a layer above it fails, with its line, unless it is allowed', () => {
  const layers = [
    { name: 'entry', files: ['cli.ts'] },
    { name: 'models', files: ['open/'] },
    { name: 'shared', files: [] },
  ];
  const dir = tree('@socketlab/feature-a', {
    'cli.ts': "import { run } from './open/run.ts';\nexport const main = run;\n",
    'open/run.ts': "import { table } from '../table.ts';\nexport const run = table;\n",
    'open/flags.ts': "import { main } from '../cli.ts';\nexport const f = main;\n",
    'table.ts': "export const table = 1;\n",
    'messages.ts': "// the union of every model's messages\nimport type { Open } from './open/messages.ts';\nexport type M = Open;\n",
    'open/messages.ts': "export type Open = 1;\n",
    'sweep.ts': "import { run } from './open/run.ts';\nexport const s = run;\n",
  });
  const r = checkPackage(dir, rules({ 'feature-a': { layers, allowedUp: ['sweep.ts -> open/run.ts', 'table.ts -> open/run.ts'] } }));
  assert.deepEqual(r.up, ['messages.ts -> open/messages.ts', 'open/flags.ts -> cli.ts', 'sweep.ts -> open/run.ts']);
  assert.deepEqual(r.violations.map((v) => [v.rule, v.where, v.message]), [
    ['layer', 'src/messages.ts:2', 'imports src/open/messages.ts: the shared layer may not import the models layer above it'],
    ['layer', 'src/open/flags.ts:1', 'imports src/cli.ts: the models layer may not import the entry layer above it'],
    ['allow-list', 'src/', 'allowed arrow up "table.ts -> open/run.ts" no longer exists: remove its entry'],
  ]);
});

test('a package may import only packages in a layer below its own', () => {
  const shared = tree('@socketlab/shared-x', {
    'index.ts': "import { b } from '@socketlab/base/sub';\nimport { f } from '@socketlab/feature-b';\nexport { x } from '@socketlab/shared-x';\nexport const y = b + f;\n",
  });
  const r = checkPackage(shared, rules({}));
  assert.deepEqual(r.violations.map((v) => [v.rule, v.where, v.message]), [
    ['package', 'src/index.ts:2', 'imports @socketlab/feature-b: shared-x may import only packages in a layer below its own (base)'],
  ]);
  const peer = tree('@socketlab/feature-a', { 'index.ts': "import '@socketlab/feature-b';\nimport '@socketlab/unlisted';\n" });
  assert.deepEqual(checkPackage(peer, rules({})).violations.map((v) => v.message), [
    'imports @socketlab/feature-b: feature-a may import only packages in a layer below its own (shared-x / base)',
  ]);
  const base = tree('@socketlab/base', { 'index.ts': "import '@socketlab/shared-x';\n" });
  assert.deepEqual(checkPackage(base, rules({})).violations.map((v) => v.message), [
    'imports @socketlab/shared-x: base may import only packages in a layer below its own (none)',
  ]);
});

test('the project rules order the packages as the issue asks', () => {
  const layerOf = (name: string) => RULES.packageLayers.findIndex((l) => l.includes(name));
  for (const feature of ['loadgen', 'report']) {
    for (const lower of ['protocol', 'results', 'server-single', 'server-mp', 'server-mt']) assert.ok(layerOf(lower) > layerOf(feature), `${lower} below ${feature}`);
  }
  assert.ok(layerOf('protocol') > layerOf('results'));
});

test('the command prints every violation and a summary, and exits 1 on a violation, 0 without', () => {
  const bad = tree('@socketlab/fixture-bad', {
    'a.ts': "import './b.ts';\n",
    'b.ts': `import './a.ts';\n${lines(300)}`,
  });
  let failed: { status: number; stdout: string } | null = null;
  try {
    execFileSync(process.execPath, ['--import', 'tsx', CLI, bad], { encoding: 'utf8', cwd: dirname(CLI) });
  } catch (e) {
    failed = e as { status: number; stdout: string };
  }
  assert.ok(failed, 'the command failed');
  assert.equal(failed.status, 1);
  const out = failed.stdout.split('\n').map((l) => l.replace(bad, '<dir>'));
  assert.ok(out.some((l) => l.endsWith('/src/a.ts: import cycle: src/a.ts → src/b.ts → src/a.ts [cycle]')), failed.stdout);
  assert.ok(out.some((l) => l.endsWith('/src/b.ts: 301 lines, over the limit of 300: split it [size]')), failed.stdout);
  assert.ok(out.some((l) => l.startsWith('architecture fixture-bad: 2 files, largest src/b.ts (301 lines), 1 import cycles, 0 arrows up (allowed: 0), 2 violations')), failed.stdout);

  const good = tree('@socketlab/fixture-good', { 'a.ts': "import './b.ts';\n", 'b.ts': 'export {};\n' });
  const ok = execFileSync(process.execPath, ['--import', 'tsx', CLI, good], { encoding: 'utf8', cwd: dirname(CLI) });
  assert.match(ok, /^architecture fixture-good: 2 files, largest src\/a\.ts \(1 lines\), 0 import cycles, 0 arrows up \(allowed: 0\), 0 violations$/m);
});
