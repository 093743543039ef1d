import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SweepResults } from '@socketlab/results';
import { analyse, classifyTask, combineInputs, inputFromResults, lanesFor, linearFit, logScaleFor } from '../src/index.ts';
import { modelSentence, scalingSentence } from '../src/prose.ts';
import { fastestSentence } from '../src/summary-prose.ts';
import { compareRuns } from '@socketlab/results';
import { renderMarkdown } from '../src/markdown/index.ts';
import { scaleDesign, setRuns, smallResults } from './helpers.ts';

function analysisOf(results: SweepResults, k = 0.5) {
  return analyse(combineInputs([inputFromResults(results)]), k);
}

describe('linearFit', () => {
  it('recovers a line exactly, with R² 1', () => {
    const f = linearFit([10, 20, 30, 40], [105, 205, 305, 405])!;
    assert.ok(Math.abs(f.slope - 10) < 1e-9);
    assert.ok(Math.abs(f.intercept - 5) < 1e-9);
    assert.equal(f.r2, 1);
  });

  it('has no fit below two distinct x, and no R² for a flat line', () => {
    assert.equal(linearFit([10], [1]), null);
    assert.equal(linearFit([10, 10], [1, 2]), null);
    assert.equal(linearFit([1, 2, 3], [5, 5, 5])!.r2, null);
  });

  it('R² stays within [0, 1] and the residuals sum to 0 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 3, maxLength: 30 }), (pts) => {
        const xs = pts.map((p) => p[0]);
        const ys = pts.map((p) => p[1]);
        const f = linearFit(xs, ys);
        if (f === null) return new Set(xs).size < 2;
        const sumRes = xs.reduce((s, x, i) => s + (ys[i]! - (f.slope * x + f.intercept)), 0);
        const scale = Math.max(1, ...ys);
        return Math.abs(sumRes) <= 1e-6 * scale * xs.length && (f.r2 === null || (f.r2 >= -1e-9 && f.r2 <= 1 + 1e-9));
      }),
      { seed: 20261123, numRuns: 200 },
    );
  });
});

describe('cost model', () => {
  it('classifies tasks', () => {
    assert.deepEqual(classifyTask('SLEEP 15'), { kind: 'blocking', argMs: 15 });
    assert.deepEqual(classifyTask('WAIT 30'), { kind: 'async', argMs: 30 });
    assert.deepEqual(classifyTask('FIB 31'), { kind: 'cpu', argMs: null });
    assert.deepEqual(classifyTask('PING'), { kind: 'instant', argMs: 0 });
    assert.equal(classifyTask('INFO').kind, 'other');
  });

  it('gives each design its lanes', () => {
    const L = (d: Parameters<typeof lanesFor>[0], k: Parameters<typeof lanesFor>[1]) => lanesFor(d, k, 2, 4);
    assert.equal(L('single-iterative', 'async'), 1);
    assert.equal(L('single-event-loop', 'blocking'), 1);
    assert.equal(L('single-event-loop', 'async'), Infinity);
    assert.equal(L('mp-per-connection', 'blocking'), Infinity);
    assert.equal(L('mt-per-connection', 'cpu'), 2);
    assert.equal(L('mp-pool', 'blocking'), 4);
    assert.equal(L('mt-pool', 'cpu'), 2);
    assert.equal(L('external', 'blocking'), null);
  });

  it('chooses the log axis from the spread of the data', () => {
    assert.deepEqual(logScaleFor([1, 5, 9.9], 10), { log: false, ratio: 9.9 });
    assert.deepEqual(logScaleFor([1, 5, 10], 10), { log: true, ratio: 10 });
    assert.equal(logScaleFor([0, 5, 100], 10).log, false);
  });
});

describe('prose follows the data', () => {
  it('names the fastest design only where the runs separate, and another one when the data changes', () => {
    const r = smallResults();
    for (const [i, d] of r.config.designs.entries()) setRuns(r, d, (n) => [n * 10 * (i + 1), n * 10 * (i + 1) + 1, n * 10 * (i + 1) + 2]);
    const sleep = analysisOf(r).workloads.find((w) => w.workload.name === 'sleep')!;
    const before = fastestSentence(sleep)!;
    assert.match(before, /^\*\*single-iterative\*\* is the fastest at every N swept \(faster than every other design by the comparison rule\)\./);
    // Make mt-pool 1000× faster: now it wins everywhere.
    const changed = analysisOf(scaleDesign(r, 'mt-pool', 0.001));
    const after = fastestSentence(changed.workloads.find((w) => w.workload.name === 'sleep')!)!;
    assert.match(after, /^\*\*mt-pool\*\* is the fastest at every N swept/);
  });

  it('overlapping runs give a tie and no ranking', () => {
    const r = smallResults();
    // Every design's three runs overlap the others' (medians differ, ranges do not separate).
    for (const [i, d] of r.config.designs.entries()) setRuns(r, d, (n) => [n * 100 + i, n * 100 + 50 + i, n * 100 + 100 + i]);
    const a = analysisOf(r);
    const sleep = a.workloads.find((w) => w.workload.name === 'sleep')!;
    assert.deepEqual(sleep.fastest.map((s) => [s.design, s.why]), [[null, 'tie']]);
    const text = fastestSentence(sleep)!;
    assert.doesNotMatch(text, /is the fastest/);
    assert.match(text, /no clear winner .*tie/);
    assert.match(text, /tied with .* by the comparison rule, though its median is lower/);
    // Two runs a side are too few to rank, however far apart.
    const two = smallResults();
    scaleDesign(two, 'mt-pool', 0.001);
    assert.ok(analysisOf(two).workloads.every((w) => w.fastest.every((s) => s.design === null && s.why === 'tie')), 'the fixture has 2 runs per cell');
  });

  it('the comparison rule: ranges with 3 runs, a rank test with 5 or more', () => {
    assert.equal(compareRuns([1, 2, 3], [4, 5, 6]).verdict, 'faster');
    assert.equal(compareRuns([4, 5, 6], [1, 2, 3]).verdict, 'slower');
    assert.deepEqual(compareRuns([1, 2, 5], [4, 5, 6]), { verdict: 'tie', by: 'ranges', p: null });
    assert.deepEqual(compareRuns([1, 2], [40, 50]), { verdict: 'tie', by: 'too-few-runs', p: null });
    // 8 runs each, one outlier overlapping: the ranges overlap, the rank test still separates them.
    const fast = [10, 11, 12, 13, 14, 15, 16, 30];
    const slow = [20, 21, 22, 23, 24, 25, 26, 27];
    const c = compareRuns(fast, slow);
    assert.equal(c.by, 'rank-test');
    assert.equal(c.verdict, 'faster');
    assert.ok(c.p! < 0.05);
    assert.equal(compareRuns([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]).verdict, 'tie');
  });

  it('a cell with a high recorded foreign share is flagged and its ranking withheld; old files say not recorded', () => {
    const r = smallResults();
    for (const [i, d] of r.config.designs.entries()) setRuns(r, d, (n) => [n * 10 * (i + 1), n * 10 * (i + 1) + 1, n * 10 * (i + 1) + 2]);
    const quiet = { foreignCpuMs: 1, windowMs: 100, loadAverageStart: [0, 0, 0], loadAverageEnd: [0, 0, 0], quietWaitMs: 100, quiet: true, attempts: 1, attemptShares: [0.01], foreignCpuShare: 0.01, noisy: false };
    for (const c of r.cells) for (const run of c.runs) run.noise = { ...quiet };
    const cell = r.cells.find((c) => c.design === 'mt-pool' && c.workload === 'sleep' && c.clients === 4)!;
    cell.runs[1]!.noise = { ...quiet, foreignCpuShare: 0.62, attempts: 3, attemptShares: [0.7, 0.62, 0.8], quiet: false, noisy: true };
    const a = analysisOf(r);
    const sleep = a.workloads.find((w) => w.workload.name === 'sleep')!;
    assert.deepEqual(sleep.fastest.map((s) => [s.design, s.why, s.fromN, s.toN]), [['single-iterative', 'faster', 2, 2], [null, 'noisy', 4, 4], ['single-iterative', 'faster', 6, 6]]);
    assert.match(fastestSentence(sleep)!, /withheld for noisy runs \(N = 4\)/);
    assert.equal(a.totals.noisyRuns, 1);
    const md = renderMarkdown(a, { title: 'T', charts: [], kneeElasticity: 0.5, logScaleSpread: 10 });
    assert.match(md, /> \*\*Noise: 1 of \d+ runs were noisy\*\*.*Rankings at the N of these cells are withheld: mt-pool × sleep × N = 4 \(up to 62 %\)\./);
    assert.match(md, /\| noisy \(other processes used 62 % of the CPU\) \|/);
    const old = renderMarkdown(analysisOf(smallResults()), { title: 'T', charts: [], kneeElasticity: 0.5, logScaleSpread: 10 });
    assert.match(old, /> \*\*Noise: not recorded\.\*\*/);
  });

  it('classifies curves by elasticity and finds a knee only after a flat stretch', () => {
    const shape = (f: (n: number) => number) => {
      const r = smallResults();
      for (const d of r.config.designs) setRuns(r, d, (n) => [f(n), f(n), f(n)]);
      return analysisOf(r).workloads[0]!.designs[0]!;
    };
    const flat = shape(() => 100);
    assert.equal(flat.scaling!.kind, 'flat');
    assert.equal(flat.scaling!.kneeN, null);
    assert.match(scalingSentence(flat)!, /absorbs the extra clients.*no knee in this sweep/);
    const serial = shape((n) => n * 20);
    assert.equal(serial.scaling!.kind, 'proportional');
    assert.equal(serial.scaling!.kneeN, null);
    assert.match(scalingSentence(serial)!, /does not scale: .*It has no knee: it is steep from the first step\./);
    // N = 2, 4, 6: flat from 2 to 4, then it jumps: the knee is at 6.
    const knee = shape((n) => (n <= 4 ? 100 + n : 300));
    assert.equal(knee.scaling!.kneeN, 6);
    assert.match(scalingSentence(knee)!, /Its knee is at N = 6/);
  });

  it('explains a slope with the cost model, or calls the excess per-client overhead', () => {
    const r = smallResults();
    const w = r.config.workloads.find((x) => x.name === 'sleep')!;
    const task = w.taskMs;
    // The iterative server: N × task exactly → explained.
    for (const c of r.cells) if (c.design === 'single-iterative' && c.workload === 'sleep') for (const run of c.runs) run.totalMs = c.clients * task;
    // mt-per-connection: 5 tasks' worth per client → overhead.
    for (const c of r.cells) if (c.design === 'mt-per-connection' && c.workload === 'sleep') for (const run of c.runs) run.totalMs = 50 + c.clients * task * 5;
    const a = analysisOf(r);
    const sleep = a.workloads.find((x) => x.workload.name === 'sleep')!;
    const it1 = sleep.designs.find((d) => d.design === 'single-iterative')!;
    const mt = sleep.designs.find((d) => d.design === 'mt-per-connection')!;
    assert.match(modelSentence(it1, sleep, 1, 2)!, /The cost model explains the curve: the slope is within [0-9.]+ ms of the prediction and the line fits\.$/);
    const far = modelSentence(mt, sleep, 1, 2)!;
    assert.match(far, new RegExp(`Measured ${(task * 5).toFixed(1)} ms per extra client .*The model misses by ${(task * 5).toFixed(1)} ms per client: per-client overhead`));
    assert.doesNotMatch(far, /explains/);
  });

  it('gives no R² from 2 points, and does not call a 2-point fit an explanation', () => {
    assert.equal(linearFit([1, 2], [3, 5])!.r2, null);
    const r = smallResults();
    r.cells = r.cells.filter((c) => c.clients !== 6);
    const task = r.config.workloads.find((x) => x.name === 'sleep')!.taskMs;
    for (const c of r.cells) if (c.design === 'single-iterative') for (const run of c.runs) run.totalMs = c.clients * task;
    const sleep = analysisOf(r).workloads.find((x) => x.workload.name === 'sleep')!;
    const text = modelSentence(sleep.designs.find((d) => d.design === 'single-iterative')!, sleep, 1, 2)!;
    assert.match(text, /from 2 N only, so no R²/);
    assert.match(text, /two points always lie on a line/);
    assert.doesNotMatch(text, /The cost model explains the curve/);
  });

  it('flags saturated runs, runs with errors, and planned cells without data', () => {
    const r = smallResults();
    r.cells[0]!.runs[0]!.loadgen.saturated = true;
    const run = r.cells[1]!.runs[1]!;
    run.errors = { ...run.errors, total: 2, refused: 1, protocol: { SOCKETLAB_ERR_BACKLOG_FULL: 1 } };
    run.errorSamples = ['client 3: connect ECONNREFUSED 127.0.0.1:1234'];
    run.clients.failed = 1;
    const gone = r.cells[2]!;
    r.cells.splice(2, 1);
    const a = analysisOf(r);
    assert.equal(a.totals.saturatedRuns, 1);
    assert.equal(a.totals.runsWithErrors, 1);
    assert.equal(a.flags.length, 2);
    assert.deepEqual(a.missing.map((m) => [m.design, m.workload, m.clients]), [[gone.design, gone.workload, gone.clients]]);
    const md = renderMarkdown(a, { title: 'T', charts: [], kneeElasticity: 0.5, logScaleSpread: 10 });
    assert.match(md, /\| loadgen saturated \| – \|/);
    assert.match(md, /\| 2 errors, 1 client failed \| refused 1, SOCKETLAB_ERR_BACKLOG_FULL 1; first: `client 3: connect ECONNREFUSED 127\.0\.0\.1:1234` \|/);
    assert.match(md, new RegExp(`- ${gone.design} × ${gone.workload}: N = ${gone.clients}`));
    assert.match(md, /1 flagged by loadgen as saturated \(its own CPU use reached 90 % of what it could use, so/);
    // v2: the rule judges a client process by one core and its event-loop delay.
    r.config.eventLoopDelayThresholdMs = 20;
    const v2 = renderMarkdown(analysisOf(r), { title: 'T', charts: [], kneeElasticity: 0.5, logScaleSpread: 10 });
    assert.match(v2, /1 flagged by loadgen as saturated \(a client process used 90 % of a core or its event loop ran 20 ms late at the 99th percentile, so/);
  });

  it('says when a run\'s clock started: connects outside it, inside it (files without the field), or both when pooled', () => {
    const opts = { title: 'T', charts: [], kneeElasticity: 0.5, logScaleSpread: 10 };
    const v1 = smallResults();
    assert.equal(v1.config.runDefinition, undefined);
    assert.match(renderMarkdown(analysisOf(v1), opts), /- \*\*A run's clock\*\*: the clients were released at once and each connected after, .*`release-then-connect`/);
    const v2 = smallResults();
    v2.config.runDefinition = 'connect-then-release';
    assert.match(renderMarkdown(analysisOf(v2), opts), /- \*\*A run's clock\*\*: every client connected first, then all were released at once, .*leaves the connects out/);
    const both = analyse(combineInputs([inputFromResults(v1, 0), inputFromResults(v2, 1)]), 0.5);
    assert.match(renderMarkdown(both, opts), /- \*\*A run's clock\*\* differs between the inputs, whose runs are pooled: in sweep\.json the clients were released .*; in sweep-2\.json every client connected first/);
  });
});
