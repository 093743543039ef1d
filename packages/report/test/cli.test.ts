import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError, SocketlabError } from '@socketlab/protocol';
import { helpText, parseArgs } from '../src/cli.ts';
import { DEFAULT_REPORT_OPTIONS, MANIFEST_NAME, resolveInputs, resolveReportOptions } from '../src/index.ts';
import { REPO_ROOT, SMALL_FIXTURE } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

describe('parseArgs', () => {
  it('reads every flag', () => {
    const p = parseArgs(['--in', 'a.json', '-i', 'b.json', '--out=r', '--latest', '--title', 'T', '--knee-elasticity', '0.6', '--log-scale-spread=20', '--no-copy', '-q', '--if-present']);
    assert.deepEqual(p, {
      help: false, version: false, quiet: true, ifPresent: true,
      options: { inputs: ['a.json', 'b.json'], outDir: 'r', latest: true, title: 'T', kneeElasticity: 0.6, logScaleSpread: 20, copyInputs: false },
    });
  });

  it('has empty options by default, and knows --help, --version and the npm "--" separator', () => {
    assert.deepEqual(parseArgs([]), { help: false, version: false, quiet: false, ifPresent: false, options: {} });
    assert.equal(parseArgs(['--help']).help, true);
    assert.equal(parseArgs(['-h']).help, true);
    assert.equal(parseArgs(['-v']).version, true);
    assert.deepEqual(parseArgs(['--', '--in', 'x.json']).options, { inputs: ['x.json'] });
  });

  const bad: [string[], RegExp][] = [
    [['--frobnicate'], /unknown flag --frobnicate/],
    [['results.json'], /unexpected argument "results.json"; input files go after --in/],
    [['--in'], /--in needs a value/],
    [['--in', '--out', 'x'], /--in needs a value/],
    [['--out='], /--out needs a value/],
    [['--knee-elasticity', 'two'], /--knee-elasticity must be a number \(got "two"\)/],
    [['--log-scale-spread', '-3'], /--log-scale-spread needs a value/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')}`, () => {
      assert.throws(() => parseArgs(argv), (err: unknown) => err instanceof InvalidOptionError && message.test((err as Error).message));
    });
  }

  it('documents every flag and default in --help', () => {
    const help = helpText();
    for (const flag of ['--in', '--latest', '--out', '--title', '--knee-elasticity', '--log-scale-spread', '--no-copy', '--if-present', '--quiet', '--version', '--help']) assert.ok(help.includes(flag), flag);
    assert.match(help, /default: results\/report with --latest, else reports\/quick, under the socketlab workspace root/);
    assert.match(help, new RegExp(`default: ${DEFAULT_REPORT_OPTIONS.kneeElasticity}\\)`));
  });
});

describe('resolveReportOptions', () => {
  it('defaults: reports/quick under the workspace root, inputs from there', () => {
    const o = resolveReportOptions({ cwd: fileURLToPath(new URL('..', import.meta.url)) });
    const root = resolve(fileURLToPath(REPO_ROOT));
    assert.equal(o.workspaceRoot, root);
    assert.equal(o.outDir, join(root, 'reports', 'quick'));
    assert.deepEqual(o.inputs, []);
    assert.deepEqual(resolveInputs(o), [join(root, 'reports', 'quick', 'sweep.json.gz')], 'the folder\'s own copy, gzip-compressed in reports/');
    assert.equal(o.kneeElasticity, 0.5);
    assert.equal(o.logScaleSpread, 10);
    assert.equal(o.copyInputs, true);
    assert.ok(Object.isFrozen(o));
    const withLatest = resolveReportOptions({ cwd: root, latest: true, inputs: ['a.json'] });
    assert.deepEqual(resolveInputs(withLatest), [join(root, 'a.json'), join(root, 'results', 'latest.json')]);
  });

  it('outside the workspace: ./report, and --latest is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-opts-'));
    try {
      assert.equal(resolveReportOptions({ cwd: dir }).outDir, join(dir, 'report'));
      assert.throws(() => resolveReportOptions({ cwd: dir, latest: true }), /latest needs the socketlab workspace/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // One case per option: the message names the option and the rule.
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ inputs: 'a.json' }, /inputs must be an array of file paths/],
    [{ inputs: [''] }, /inputs\[0\] must be a non-empty string/],
    [{ latest: 'yes' }, /latest must be a boolean/],
    [{ outDir: 3 }, /outDir must be a non-empty string/],
    [{ cwd: '' }, /cwd must be a non-empty string/],
    [{ title: '' }, /title must be a non-empty string/],
    [{ kneeElasticity: 0 }, /kneeElasticity must be a number > 0 and <= 1 \(got 0\)/],
    [{ logScaleSpread: 0.5 }, /logScaleSpread must be a number >= 1/],
    [{ copyInputs: 1 }, /copyInputs must be a boolean/],
    [{ colour: 'blue' }, /unknown option colour/],
  ];
  for (const [options, message] of bad) {
    it(`rejects ${JSON.stringify(options)}`, () => {
      assert.throws(() => resolveReportOptions(options), (err: unknown) => err instanceof SocketlabError && err.code === 'SOCKETLAB_ERR_INVALID_OPTION' && message.test((err as Error).message));
    });
  }
});

describe('the socketlab-report binary (built)', () => {
  it('prints --help, writes a report, and exits 1 with the coded error on bad input', () => {
    const help = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    assert.match(help, /^Usage: socketlab-report \[options\]/);
    const dir = mkdtempSync(join(tmpdir(), 'report-cli-'));
    try {
      const out = execFileSync(process.execPath, [BIN, '--in', fileURLToPath(SMALL_FIXTURE), '--out', join(dir, 'r')], { encoding: 'utf8', cwd: dir });
      assert.match(out, /^socketlab-report: wrote r\/ \(README\.md, index\.html, \d+ charts\) from .*small\.json\n$/);
      const files = readdirSync(join(dir, 'r'));
      for (const f of ['README.md', 'index.html', 'sweep.json']) assert.ok(files.includes(f), f);
      assert.equal(readFileSync(join(dir, 'r', 'sweep.json'), 'utf8'), readFileSync(SMALL_FIXTURE, 'utf8'));
      // Rebuilding from the folder's own copy, quietly: nothing printed, same files.
      const before = new Map(files.map((f) => [f, readFileSync(join(dir, 'r', f), 'utf8')]));
      const fromOwnCopy = spawnSync(process.execPath, [BIN, '--out', 'r', '--quiet'], { encoding: 'utf8', cwd: dir });
      assert.equal(fromOwnCopy.status, 0, fromOwnCopy.stderr);
      assert.equal(fromOwnCopy.stdout, '');
      assert.ok(files.includes(MANIFEST_NAME), 'the manifest lists what the report wrote');
      // Files the report did not write: refused (exit 1, coded), and nothing touched; --force writes
      // beside them and removes none of them, however they are named.
      writeFileSync(join(dir, 'r', 'total-time-old-design.svg'), '<svg/>');
      writeFileSync(join(dir, 'r', 'sweep-2.json'), '{}');
      writeFileSync(join(dir, 'r', 'notes.txt'), 'mine');
      const refused = spawnSync(process.execPath, [BIN, '--in', 'r/sweep.json', '--out', 'r', '--quiet'], { encoding: 'utf8', cwd: dir });
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /holds 3 files this report did not write \("notes\.txt", "sweep-2\.json", "total-time-old-design\.svg"\).*--force.* \[SOCKETLAB_ERR_REPORT_OUT_DIR\]\n$/);
      const again = spawnSync(process.execPath, [BIN, '--in', 'r/sweep.json', '--out', 'r', '--quiet', '--force'], { encoding: 'utf8', cwd: dir });
      assert.equal(again.status, 0, again.stderr);
      assert.equal(again.stdout, '');
      assert.deepEqual(readdirSync(join(dir, 'r')).sort(), [...files, 'notes.txt', 'sweep-2.json', 'total-time-old-design.svg'].sort());
      for (const [f, text] of before) assert.equal(readFileSync(join(dir, 'r', f), 'utf8'), text, `${f} unchanged`);
      // What an earlier report wrote and this one does not (a second input's copy) is removed.
      const two = spawnSync(process.execPath, [BIN, '--in', fileURLToPath(SMALL_FIXTURE), '--in', fileURLToPath(SMALL_FIXTURE), '--out', 'r2'], { encoding: 'utf8', cwd: dir });
      assert.equal(two.status, 0, two.stderr);
      assert.ok(readdirSync(join(dir, 'r2')).includes('sweep-2.json'));
      const one = spawnSync(process.execPath, [BIN, '--in', fileURLToPath(SMALL_FIXTURE), '--out', 'r2'], { encoding: 'utf8', cwd: dir });
      assert.equal(one.status, 0, one.stderr);
      assert.match(one.stdout, /; removed 1 file\(s\) an earlier report wrote\n$/);
      assert.deepEqual(readdirSync(join(dir, 'r2')).sort(), [...files].sort());
      const bad = spawnSync(process.execPath, [BIN, '--in', join(dir, 'missing.json'), '--out', 'r3'], { encoding: 'utf8', cwd: dir });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /missing\.json: cannot read the loadgen results \(no such file\) \[SOCKETLAB_ERR_REPORT_INPUT\]/);
      const usage = spawnSync(process.execPath, [BIN, '--nope'], { encoding: 'utf8', cwd: dir });
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /unknown flag --nope\nRun 'socketlab-report --help' for usage\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
