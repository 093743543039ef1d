import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResults, type CellResult } from '@socketlab/results';
import { parseArgs } from '../src/cli.ts';
import { resolveConfig } from '../src/options.ts';
import { runSweep } from '../src/sweep/run-sweep.ts';
import { parseBudget, planBudget, planSweepBudget } from '../src/sweep/budget.ts';
import { cellsToRerun, comparisons } from '../src/sweep/budget-extra.ts';

const TENS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
/** A cost that grows with N and runs: 10 ms per client per run. */
const linear = (n: number, runs: number) => n * runs * 10;

test('planBudget: a budget that fits everything leaves nothing out', () => {
  const plan = planBudget({ budgetMs: 1_000_000, clients: TENS, runs: 3, costMs: linear });
  assert.deepEqual(plan.clients, TENS);
  assert.equal(plan.runs, 3);
  assert.deepEqual(plan.leftOutClients, []);
  assert.equal(plan.estimatedMs, 550 * 30);
  assert.match(plan.note, /nothing left out/);
});

test('planBudget: interior N go first, evenly, keeping the smallest and largest', () => {
  // Everything at 3 runs: 16 500 ms; 10 000 ms fits N = 10, 20, 40, 60, 80, 100 (9300 ms): 90, 70, 50, 30 go.
  const plan = planBudget({ budgetMs: 10_000, clients: TENS, runs: 3, costMs: linear });
  assert.equal(plan.runs, 3);
  assert.deepEqual(plan.clients, [10, 20, 40, 60, 80, 100]);
  assert.deepEqual(plan.leftOutClients, [30, 50, 70, 90]);
  assert.equal(plan.estimatedMs, 9300);
  assert.match(plan.note, /left out N = 30, 50, 70, 90/);
  assert.doesNotMatch(plan.note, /runs cut/);
});

test('planBudget: then runs go from 3 to 2, never below, and the note says so', () => {
  // N = 10 and 100 alone at 3 runs: 3300 ms; at 2 runs: 2200 ms (+ 20 → 600 ms more for N = 20 … ).
  const plan = planBudget({ budgetMs: 3000, clients: TENS, runs: 3, costMs: linear });
  assert.equal(plan.runs, 2);
  assert.ok(plan.clients.includes(10) && plan.clients.includes(100));
  assert.ok(plan.estimatedMs <= 3000);
  assert.match(plan.note, /runs cut from 3 to 2/);
  // A preset of 1 run stays at 1 (the floor is min(runs, 2)).
  assert.equal(planBudget({ budgetMs: 5000, clients: [2, 4], runs: 1, costMs: linear }).runs, 1);
});

test('planBudget: a budget too small for the smallest plan is a coded error naming --budget', () => {
  assert.throws(
    () => planBudget({ budgetMs: 2000, clients: TENS, runs: 3, costMs: linear }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SOCKETLAB_ERR_BUDGET_TOO_SMALL');
      assert.equal(err.name, 'BudgetTooSmallError');
      assert.match(err.message, /--budget 2\.0s is too small/);
      assert.match(err.message, /N = 10 and 100, 2 runs\) needs about 2\.2s/);
      return true;
    },
  );
});

test('--budget: durations, 0 and none, and errors naming the flag as typed', () => {
  assert.equal(parseBudget('3m'), 180_000);
  assert.equal(parseBudget('90s'), 90_000);
  assert.equal(parseBudget('1m30s'), 90_000);
  assert.equal(parseBudget('500ms'), 500);
  assert.equal(parseBudget('0'), 0);
  assert.equal(parseBudget('none'), 0);
  assert.equal(parseArgs(['--budget', '2m']).options.budgetMs, 120_000);
  assert.equal(parseArgs(['--budget=none']).options.budgetMs, 0);
  for (const bad of ['3', 'soon', '3m x', '-1m', '']) {
    assert.throws(() => parseArgs([`--budget=${bad}`]), /--budget must be a duration|--budget needs a value/, bad);
  }
  assert.throws(() => resolveConfig({ budgetMs: -5 }), /budgetMs/);
  assert.throws(() => resolveConfig({ budgetMs: 1.5 }), /budgetMs/);
});

test('presets: quick has a 3-minute budget, full is quick without one, --budget 0 turns it off', () => {
  assert.equal(resolveConfig({}).budgetMs, 180_000);
  const full = resolveConfig({ preset: 'full' });
  assert.equal(full.budgetMs, undefined);
  assert.deepEqual(full.clients, TENS);
  assert.equal(full.runs, 3);
  assert.deepEqual(full.designs, resolveConfig({}).designs);
  assert.equal(resolveConfig({ budgetMs: 0 }).budgetMs, undefined);
  assert.equal(resolveConfig({ model: 'open', rates: [100] } as never).budgetMs, undefined, 'the open model has no default budget');
  assert.throws(() => planSweepBudget(resolveConfig({ preset: 'smoke', budgetMs: 60_000 }), true), /sharded/);
});

/** A closed cell with the given clean total times. */
function cell(design: string, clients: number, totals: number[], noisy = false): CellResult {
  const runs = totals.map((totalMs) => ({ complete: true, totalMs, errors: { total: 0 }, noise: { noisy } }));
  return { design, workload: 'sleep', clients, runs } as unknown as CellResult;
}

test('extra runs go only to pairs the comparison rule cannot separate, and not to noisy N', () => {
  const cells = [
    cell('a', 2, [10, 11, 12]), cell('b', 2, [11.5, 13, 14]), cell('c', 2, [50, 51, 52]), // a, b overlap: a tie
    cell('a', 4, [10, 11, 12]), cell('b', 4, [20, 21, 22]), // ranges apart: separated
    cell('a', 8, [10, 11, 12], true), cell('b', 8, [11, 12, 13]), // noisy: withheld
  ];
  const cmp = comparisons(cells);
  assert.deepEqual(cmp.map((x) => [x.clients, x.designs, x.separated, x.noisy]), [[2, ['a', 'b'], false, false], [4, ['a', 'b'], true, false], [8, ['a', 'b'], false, true]]);
  const rerun = cellsToRerun(cells);
  assert.equal(rerun.length, 1);
  assert.deepEqual(rerun[0]!.map((c) => [c.design, c.clients]), [['a', 2], ['b', 2]]);
});

test('a tiny real sweep with a budget records its plan in a schema-valid results file', { timeout: 120_000 }, async () => {
  const options = { preset: 'smoke', designs: ['single-iterative', 'mt-per-connection'], workloads: ['sleep'], runs: 3, timeScale: 0.001, quietWaitMs: 0, noiseRetries: 0 } as const;
  // The budget is the planner's own estimate of N = 2 and 4 alone: N = 3 must go, 3 runs stay.
  const ends = planSweepBudget(resolveConfig({ ...options, clients: [2, 4], budgetMs: 3_600_000 }), false)!;
  const results = await runSweep({ ...options, clients: [2, 3, 4], budgetMs: Math.ceil(ends.estimatedMs) });
  const check = validateResults(results);
  assert.ok(check.ok, JSON.stringify(check.errors.slice(0, 3)));
  assert.ok(results.complete, results.abortReason ?? '');
  const b = results.budget!;
  assert.deepEqual(b.requestedClients, [2, 3, 4]);
  assert.equal(b.requestedRuns, 3);
  assert.deepEqual(b.leftOutClients, [3]);
  assert.deepEqual(results.config.clients, [2, 4]);
  assert.equal(results.config.runs, 3);
  assert.equal(results.config.budgetMs, Math.ceil(ends.estimatedMs));
  assert.match(b.note, /left out N = 3/);
  assert.deepEqual(results.cells.map((c) => c.clients), [2, 4, 2, 4]);
  assert.ok(results.cells.every((c) => c.runs.length >= 3));
  assert.equal(b.extraRuns, results.cells.reduce((a, c) => a + c.runs.length - 3, 0));
  assert.deepEqual(b.comparisons.map((x) => x.clients), [2, 4]);
  for (const x of b.comparisons) assert.deepEqual([...x.designs].sort(), ['mt-per-connection', 'single-iterative']);
});
