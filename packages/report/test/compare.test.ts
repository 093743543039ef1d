import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SocketlabError } from '@socketlab/protocol';
import type { SweepResults } from '@socketlab/results';
import { COMPARE_EXIT_CODES, compareHelpText, percentValue, splitPositionals } from '../src/compare-cli.ts';
import { compareInputs, compareSweeps, inputFromResults, renderComparison, resolveCompareOptions } from '../src/index.ts';
import { checkWellFormedXml, noiseRecord, scaleAll, tightResults } from './helpers.ts';

/**
 * `socketlab-report compare`: fixtures derived from the small sweep with three tight runs per cell, so
 * the comparison rule can decide; "slower" is every total × 1.5. No timing is measured.
 */

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
let dir: string;

function write(name: string, results: SweepResults): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  return path;
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, 'compare', ...args], { encoding: 'utf8', cwd: dir });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'report-compare-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('compareInputs', () => {
  it('a result against itself: every cell a tie, ratio 1, nothing only in one file, no difference', () => {
    const base = inputFromResults(tightResults(), 0);
    const c = compareInputs(base, inputFromResults(tightResults(), 1), 0.1);
    assert.equal(c.cells.length, tightResults().cells.length);
    assert.ok(c.cells.every((x) => x.verdict === 'tie' && x.totalRatio === 1 && !x.regression));
    assert.deepEqual(c.counts, { faster: 0, slower: 0, tie: c.cells.length, withheld: 0 });
    assert.deepEqual([c.onlyInBase, c.onlyInNew, c.machine, c.config, c.regressions], [[], [], [], [], []]);
  });

  it('every total × 1.5: every cell slower by the ranges, ratio 1.5, a regression only past the threshold', () => {
    const base = inputFromResults(tightResults(), 0);
    const slow = inputFromResults(scaleAll(tightResults(), 1.5), 1);
    const c = compareInputs(base, slow, 0.1);
    assert.ok(c.cells.every((x) => x.verdict === 'slower' && x.by === 'ranges' && Math.abs(x.totalRatio! - 1.5) < 1e-9), 'all slower');
    assert.equal(c.regressions.length, c.cells.length);
    assert.equal(compareInputs(base, slow, 0.6).regressions.length, 0, '1.5 is within 60 %');
    assert.equal(compareInputs(base, slow, null).regressions.length, 0, 'no threshold, no regression');
    // The other way round, NEW is faster: never a regression.
    const back = compareInputs(slow, base, 0);
    assert.ok(back.cells.every((x) => x.verdict === 'faster' && !x.regression));
  });

  it('uses the report\'s rule: two runs a side are a tie however far apart', () => {
    const two = tightResults();
    for (const c of two.cells) c.runs = c.runs.slice(0, 2);
    const c = compareInputs(inputFromResults(two, 0), inputFromResults(scaleAll(structuredClone(two), 3), 1), 0.1);
    assert.ok(c.cells.every((x) => x.verdict === 'tie' && x.by === 'too-few-runs' && !x.regression));
  });

  it('withholds the verdict of a cell with a noisy run, which then cannot be a regression', () => {
    const base = tightResults();
    const next = tightResults();
    for (const r of [base, next]) for (const cell of r.cells) for (const run of cell.runs) run.noise = noiseRecord(0.01);
    const target = next.cells.find((x) => x.design === 'mt-pool' && x.workload === 'sleep' && x.clients === 4)!;
    for (const run of target.runs) run.totalMs! *= 2;
    target.runs[1]!.noise = noiseRecord(0.6);
    const c = compareInputs(inputFromResults(base, 0), inputFromResults(next, 1), 0.1);
    const cell = c.cells.find((x) => x.design === 'mt-pool' && x.workload === 'sleep' && x.clients === 4)!;
    assert.deepEqual([cell.verdict, cell.by, cell.regression, cell.totalRatio], ['withheld', 'noisy', false, 2]);
    assert.equal(c.counts.withheld, 1);
    assert.equal(c.regressions.length, 0);
    assert.deepEqual(c.noiseRecorded, { base: true, new: true });
  });

  it('lists the cells only one file has, and the machine and configuration differences', () => {
    const base = tightResults();
    const next = tightResults();
    const gone = next.cells.splice(0, 1)[0]!;
    next.environment.cpuModel = 'Other CPU 9000';
    next.environment.cores = 16;
    next.config.timeScale = 0.01;
    next.config.clientMode = 'process';
    const c = compareInputs(inputFromResults(base, 0), inputFromResults(next, 1));
    assert.deepEqual(c.onlyInBase, [{ workload: gone.workload, design: gone.design, clients: gone.clients }]);
    assert.deepEqual(c.onlyInNew, []);
    assert.deepEqual(c.machine.map((d) => [d.what, d.new]), [['CPU model', 'Other CPU 9000'], ['cores available', '16']]);
    assert.deepEqual(c.config.map((d) => d.what), ['timeScale', 'client mode']);
  });
});

describe('the compare page', () => {
  it('has the verdicts, one chart, the loud banners and the cells in one file only', async () => {
    const base = tightResults();
    const next = scaleAll(tightResults(), 1.5);
    next.environment.cpuModel = 'Other CPU 9000';
    next.cells.splice(0, 1);
    const r = await renderComparison(inputFromResults(base, 0), inputFromResults(next, 1), { failOnRegression: 0.1 });
    assert.deepEqual([...r.files.keys()], ['README.md', 'index.html', 'ratio-total-time.svg']);
    assert.match(r.markdown, /^# socketlab compare: /);
    // The banner comes before anything else the page says.
    assert.ok(r.markdown.indexOf('**⚠ WARNING: BASE and NEW ran on different machines.**') < r.markdown.indexOf('## Summary'));
    assert.match(r.markdown, /> - CPU model: AMD EPYC \(BASE\) → Other CPU 9000 \(NEW\)/);
    assert.match(r.markdown, /\| mt-pool \| 4 \| 0\.422 \| 0\.633 \| 1\.500× \| \*\*NEW slower\*\* \(ranges\), \*\*beyond 10 %\*\* \|/);
    assert.match(r.markdown, /## Cells in only one file\n\nOnly in BASE \(no verdict\):\n\n- single-iterative × sleep: N = 2\n/);
    assert.match(r.markdown, /Regression threshold 10 %: \d+ cells slower beyond it\*\* \(exit 4\)/);
    const svg = r.files.get('ratio-total-time.svg')!;
    checkWellFormedXml(svg);
    // One point per cell with a ratio, and the rule at 1 is drawn.
    assert.equal([...svg.matchAll(/aria-roledescription="point"/g)].length, r.comparison.cells.length);
    assert.match(svg, /aria-roledescription="rule mark container"[^>]*><line/);
    assert.match(r.html, /<span class="chart" role="figure"[^>]*data-chart="ratio-total-time\.svg"><svg/);
  });

  it('without a common cell: no chart, and it says so', async () => {
    const base = tightResults();
    const next = tightResults();
    next.cells = next.cells.filter((c) => c.workload !== 'sleep');
    base.cells = base.cells.filter((c) => c.workload === 'sleep');
    const r = await renderComparison(inputFromResults(base, 0), inputFromResults(next, 1), { failOnRegression: 0.1 });
    assert.deepEqual([...r.files.keys()], ['README.md', 'index.html']);
    assert.match(r.markdown, /\*\*No cell is in both files\*\*/);
    assert.match(r.markdown, /nothing could be checked, which fails \(exit 4\)/);
  });

  it('is deterministic and written to --out; the default folder is the git-ignored results/compare', async () => {
    const a = write('det-a.json', tightResults());
    const b = write('det-b.json', scaleAll(tightResults(), 1.5));
    const out = join(dir, 'det-out');
    const first = await compareSweeps({ base: a, new: b, outDir: out });
    const bytes = readdirSync(out).sort().map((f) => readFileSync(join(out, f), 'utf8'));
    await compareSweeps({ base: a, new: b, outDir: out });
    assert.deepEqual(readdirSync(out).sort().map((f) => readFileSync(join(out, f), 'utf8')), bytes);
    assert.deepEqual([...first.written].sort(), ['README.md', 'index.html', 'ratio-total-time.svg']);
    const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
    assert.equal(resolveCompareOptions({ base: 'a', new: 'b', cwd: root }).outDir, join(root, 'results', 'compare'));
    const gitignore = readFileSync(join(root, '.gitignore'), 'utf8');
    assert.match(gitignore, /^\/results\/$/m, 'results/ is git-ignored');
  });

  it('validates its options, naming them', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ new: 'b' }, /base must be a non-empty string/],
      [{ base: 'a', new: '' }, /new must be a non-empty string/],
      [{ base: 'a', new: 'b', failOnRegression: -0.1 }, /failOnRegression must be a fraction >= 0 and <= 10/],
      [{ base: 'a', new: 'b', failOnRegression: '10%' }, /failOnRegression must be a fraction/],
      [{ base: 'a', new: 'b', colour: 'red' }, /unknown option colour/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => resolveCompareOptions(options as never), (err: unknown) => err instanceof SocketlabError && err.code === 'SOCKETLAB_ERR_INVALID_OPTION' && message.test((err as Error).message), JSON.stringify(options));
    }
  });
});

describe('the compare command line', () => {
  it('parses a percentage only with its sign, and takes BASE and NEW out of the flags', () => {
    assert.equal(percentValue('10%', '--fail-on-regression'), 0.1);
    assert.equal(percentValue('2.5%', '--fail-on-regression'), 0.025);
    assert.throws(() => percentValue('0.1', '--fail-on-regression'), /--fail-on-regression must be a percentage from 0% to 1000%, e.g\. 10% \(got "0\.1"\)/);
    assert.throws(() => percentValue('2000%', '--fail-on-regression'), /--fail-on-regression must be a percentage/);
    assert.deepEqual(splitPositionals(['--', 'a.json', '--out', 'x.json', 'b.json', '-q']), { files: ['a.json', 'b.json'], rest: ['--out', 'x.json', '-q'] });
    assert.equal(COMPARE_EXIT_CODES.regression, 4);
    const errorsDoc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    assert.match(errorsDoc, /^\| `4` \| report compare \| With `--fail-on-regression x%`/m, 'docs/errors.md lists exit 4');
    const help = compareHelpText();
    for (const s of ['--fail-on-regression', '--out', '--quiet', 'BASE.json NEW.json', 'Exit codes:', '  4   --fail-on-regression']) assert.ok(help.includes(s), s);
  });

  it('itself: tie everywhere, exit 0; ×1.5: exit 0 without a threshold, 4 with one, one line on stderr under --quiet', () => {
    const base = write('base.json', tightResults());
    const slow = write('slow.json', scaleAll(tightResults(), 1.5));
    const same = run([base, base, '--out', 'same']);
    assert.equal(same.status, 0, same.stderr);
    assert.equal(same.stderr, '');
    assert.match(same.stdout, /^socketlab-report compare: wrote same\/ \(README\.md, index\.html, ratio-total-time\.svg\): (\d+) cells in both files; NEW faster in 0, slower in 0, tie in \1, withheld \(noisy\) in 0; 0 only in BASE, 0 only in NEW\n$/);
    assert.doesNotMatch(readFileSync(join(dir, 'same', 'README.md'), 'utf8'), /\| (\*\*)?NEW (slower|faster)|WARNING/);

    const noGate = run([base, slow, '--out', 'slow']);
    assert.equal(noGate.status, 0, noGate.stderr);
    assert.match(noGate.stdout, /slower in (\d+), tie in 0/);

    const gate = run([base, slow, '--out', 'slow', '--fail-on-regression', '10%', '--quiet']);
    assert.equal(gate.status, 4);
    assert.equal(gate.stdout, '');
    assert.match(gate.stderr, /^socketlab-report compare: exit 4: \d+ cells slower beyond --fail-on-regression 10%: [a-z-]+ × [a-z]+ × N = \d+ \(1\.500×\), .*\n$/);
    assert.equal(gate.stderr.split('\n').length, 2, 'one line');

    const wide = run([base, slow, '--out', 'slow', '--fail-on-regression', '60%', '-q']);
    assert.equal(wide.status, 0, wide.stderr);
    assert.equal(wide.stdout + wide.stderr, '');
  });

  it('warns loudly on stderr (even with --quiet) when the machines differ', () => {
    const base = write('m-base.json', tightResults());
    const other = tightResults();
    other.environment.cpuModel = 'Other CPU 9000';
    other.environment.node = 'v99.0.0';
    const next = write('m-new.json', other);
    const r = run([base, next, '--out', 'machines', '-q']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const node = tightResults().environment.node;
    assert.equal(r.stderr, `socketlab-report compare: WARNING: BASE and NEW come from different machines (CPU model AMD EPYC → Other CPU 9000; Node.js ${node} → v99.0.0): the ratios compare set-ups, not only code\n`);
    assert.match(readFileSync(join(dir, 'machines', 'README.md'), 'utf8'), /\*\*⚠ WARNING: BASE and NEW ran on different machines\.\*\*/);
  });

  it('exits 2 on bad usage and 1 on a bad file', () => {
    const one = run(['only.json']);
    assert.equal(one.status, 2);
    assert.match(one.stderr, /^socketlab-report compare: compare needs two results files, BASE and NEW \(got 1: only\.json\)\nRun 'socketlab-report compare --help' for usage\.\n$/);
    const pct = run(['a.json', 'b.json', '--fail-on-regression', '10']);
    assert.equal(pct.status, 2);
    assert.match(pct.stderr, /--fail-on-regression must be a percentage/);
    const missing = run([join(dir, 'nope.json'), join(dir, 'nope2.json')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.json: cannot read the loadgen results \(no such file\) \[SOCKETLAB_ERR_REPORT_INPUT\]/);
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: socketlab-report compare \[options\]\n\nsocketlab-report compare BASE\.json NEW\.json \[options\]/);
  });
});
