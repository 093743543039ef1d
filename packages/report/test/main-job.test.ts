import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, SMALL_FIXTURE } from './helpers.ts';

/**
 * The README's main job (a sweep, then the report on it) must leave `git status` clean: it writes only
 * under the git-ignored results/. A full sweep takes minutes, so this checks the mechanism: the README's
 * command, the targets it runs, and where `report:build`'s command writes in a workspace of its own, with
 * a sweep and before the first one.
 */
const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const readme = readFileSync(new URL('README.md', REPO_ROOT), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
  nx: { targets: Record<string, { dependsOn?: string[]; inputs?: unknown[]; outputs?: string[] }> };
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describe('the main job writes only under results/', () => {
  it('the README starts with two commands: the main job (the sweep, then report:build), then the tests', () => {
    const blocks = [...readme.matchAll(/```sh\n(.+)\n```/g)].map((m) => m[1]);
    assert.deepEqual(blocks.slice(0, 2), ['npm ci && npx nx run loadgen:sweep && npx nx run report:build', 'npm ci && npm test']);
    assert.equal(pkg.scripts.build, 'node bin.js --latest --if-present', 'report:build picks no output folder of its own: --latest\'s default applies');
    assert.equal(pkg.scripts.compile, 'tsup', 'compiling writes nothing outside dist/');
    assert.equal(pkg.scripts.latest, undefined, 'report:build replaces report:latest');
    const targets = pkg.nx.targets;
    assert.deepEqual(targets.build!.dependsOn, ['compile'], 'report:build compiles the package first');
    assert.deepEqual(targets.build!.outputs, ['{workspaceRoot}/results/report'], 'and writes only results/report/');
    assert.ok(JSON.stringify(targets.build!.inputs).includes('results/latest.json'), 'a new sweep re-runs it (the file is git-ignored, so a runtime input)');
    for (const t of ['compare', 'shipped', 'test', 'typecheck', 'test:build']) assert.ok(targets[t]!.dependsOn!.includes('compile') && !targets[t]!.dependsOn!.includes('build'), `${t} needs the compiled package, not a report`);
  });

  it('report:build\'s command writes the report under results/report/ and nothing else', () => {
    const root = workspace();
    try {
      mkdirSync(join(root, 'results'));
      copyFileSync(fileURLToPath(SMALL_FIXTURE), join(root, 'results', 'latest.json'));
      const before = filesUnder(root);
      const r = runBuild(root);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /wrote \.\.\/\.\.\/results\/report\//);
      const added = filesUnder(root).filter((f) => !before.includes(f));
      assert.ok(added.length > 3, `${added.length} files written`);
      assert.deepEqual(added.filter((f) => !f.startsWith('results/report/')), [], 'every file it wrote is under results/report/');
      assert.ok(added.includes('results/report/README.md') && added.includes('results/report/sweep.json'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('before the first sweep it says what to run, writes nothing and succeeds', () => {
    const root = workspace();
    try {
      const before = filesUnder(root);
      const r = runBuild(root);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /no report yet: \.\.\/\.\.\/results\/latest\.json does not exist\. Run a sweep first: npx nx run loadgen:sweep/);
      assert.deepEqual(filesUnder(root), before);
      // Without --if-present, --latest alone still fails on the missing file (exit 1, the coded error).
      const strict = spawnSync(process.execPath, [BIN, '--latest'], { encoding: 'utf8', cwd: join(root, 'packages', 'report') });
      assert.equal(strict.status, 1);
      assert.match(strict.stderr, /SOCKETLAB_ERR_REPORT_INPUT/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** A socketlab workspace of its own (nx.json, packages/report/), in a temp folder. */
function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'report-main-job-'));
  writeFileSync(join(root, 'nx.json'), '{}\n');
  writeFileSync(join(root, 'package.json'), '{ "name": "socketlab", "private": true }\n');
  mkdirSync(join(root, 'packages', 'report'), { recursive: true });
  return root;
}

/** The report:build script's command, where Nx runs it (packages/report). */
function runBuild(root: string) {
  const args = pkg.scripts.build!.split(' ').slice(2);
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: join(root, 'packages', 'report') });
}
