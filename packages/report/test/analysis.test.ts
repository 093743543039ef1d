import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SweepResults } from '@socketlab/results';
import { analyse, classifyTask, combineInputs, inputFromResults, lanesFor, linearFit, logScaleFor } from '../src/index.ts';
import { fastestSentence, modelSentence, stopSentence } from '../src/prose.ts';
import { renderMarkdown } from '../src/markdown/index.ts';
import { smallResults } from './helpers.ts';

function analysisOf(results: SweepResults, k = 2) {
  return analyse(combineInputs([inputFromResults(results)]), k);
}

/** Multiplies every total time of one design (and its summary) by `factor`. */
function scaleDesign(results: SweepResults, design: string, factor: number): SweepResults {
  for (const c of results.cells) {
    if (c.design !== design) continue;
    for (const r of c.runs) if (r.totalMs !== null) r.totalMs *= factor;
    c.summary.totalMs.values = c.summary.totalMs.values.map((v) => (v === null ? null : v * factor));
    for (const k of ['median', 'min', 'max'] as const) if (c.summary.totalMs[k] !== null) c.summary.totalMs[k]! *= factor;
  }
  return results;
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
  it('names the fastest design, and another one when the data changes', () => {
    const base = analysisOf(smallResults());
    const sleep = base.workloads.find((w) => w.workload.name === 'sleep')!;
    const before = fastestSentence(sleep)!;
    const winner = sleep.fastest[sleep.fastest.length - 1]!.design;
    assert.match(before, new RegExp(`\\*\\*${winner}\\*\\*`));
    // Make the iterative server 1000× faster: now it wins everywhere.
    const changed = analysisOf(scaleDesign(smallResults(), 'single-iterative', 0.001));
    const after = fastestSentence(changed.workloads.find((w) => w.workload.name === 'sleep')!)!;
    assert.match(after, /^\*\*single-iterative\*\* is the fastest at every N swept\./);
    assert.notEqual(before, after);
  });

  it('says a design stops scaling, or keeps scaling, by the k × rule', () => {
    const flat = smallResults();
    // A flat curve: every total time set to 100 ms.
    for (const c of flat.cells) for (const r of c.runs) r.totalMs = 100;
    const a = analysisOf(flat, 2);
    const d = a.workloads[0]!.designs[0]!;
    assert.equal(d.stop!.n, null);
    assert.match(stopSentence(d, a.dataset.clients)!, /^Keeps scaling through N = \d+: its median there is 1\.0× the one at N = \d+ \(below 2×\)\.$/);
    // Proportional to N: the total is N × 20 ms, so it "never scales".
    const serial = smallResults();
    for (const c of serial.cells) for (const r of c.runs) r.totalMs = c.clients * 20;
    const s = analysisOf(serial, 2);
    const sd = s.workloads[0]!.designs[0]!;
    assert.equal(sd.stop!.proportional, true);
    assert.match(stopSentence(sd, s.dataset.clients)!, /^It never scales in this sweep: its total time is proportional to N/);
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
    assert.match(modelSentence(it1, sleep, 1, 2)!, /The cost model explains the curve\.$/);
    assert.match(modelSentence(mt, sleep, 1, 2)!, new RegExp(`Measured ${(task * 5).toFixed(1)} ms per extra client .*per-client overhead`));
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
    const md = renderMarkdown(a, { title: 'T', charts: [], stopScalingFactor: 2, logScaleSpread: 10 });
    assert.match(md, /\| loadgen saturated \| – \|/);
    assert.match(md, /\| 2 errors, 1 client failed \| refused 1, SOCKETLAB_ERR_BACKLOG_FULL 1; first: `client 3: connect ECONNREFUSED 127\.0\.0\.1:1234` \|/);
    assert.match(md, new RegExp(`- ${gone.design} × ${gone.workload}: N = ${gone.clients}`));
    assert.match(md, /1 flagged by loadgen as saturated/);
  });
});
