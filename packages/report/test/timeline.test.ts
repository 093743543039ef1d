import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, combineInputs, inputFromResults } from '../src/index.ts';
import { timelineBars, timelineClients, timelineMissing } from '../src/timeline.ts';
import { smallResults } from './helpers.ts';

describe('timeline (the lesson\'s figures 1–4 from data)', () => {
  it('draws the median run: connecting, waiting until reply − task time, service, goodbye; clients in the order served', () => {
    const r = smallResults();
    const cell = r.cells.find((c) => c.design === 'single-iterative' && c.workload === 'sleep' && c.clients === 6)!;
    // Three runs; the median (60 ms) is the middle one, whose clients were served in reverse index order.
    cell.runs = [10, 60, 90].map((t, i) => ({ ...structuredClone(cell.runs[0]!), index: i, totalMs: t }));
    cell.runs[1]!.clients = { ...cell.runs[1]!.clients, connectMs: [1, 1, 1, 1, 1, 2], firstReplyMs: [59, 49, 39, 29, 19, 10], completionMs: [60, 50, 40, 30, 20, 11] };
    const a = analyse(combineInputs([inputFromResults(r)]), 0.5);
    const w = a.workloads.find((x) => x.workload.name === 'sleep')!;
    const bars = timelineBars(a, w).filter((b) => b.design === 'single-iterative');
    // Task time 9 ms: client 5 (served first) connected at 2, reply at 10 → service 2..10 (it cannot start before its connect).
    assert.deepEqual(bars.filter((b) => b.order === 1).map((b) => [b.phase, b.fromMs, b.toMs]), [['connecting', 0, 2], ['service', 2, 10], ['goodbye', 10, 11]]);
    // Client 4 (served second): connected at 1, waited until 19 − 9 = 10, served 10..19.
    assert.deepEqual(bars.filter((b) => b.order === 2).map((b) => [b.phase, b.fromMs, b.toMs]), [['connecting', 0, 1], ['waiting', 1, 10], ['service', 10, 19], ['goodbye', 19, 20]]);
    assert.equal(Math.max(...bars.map((b) => b.order)), 6, 'one row per client');
  });

  it('is drawn at the smallest N of at least 10, and says why when it cannot be', () => {
    assert.equal(timelineClients([2, 4, 6]), 6);
    assert.equal(timelineClients([5, 10, 20]), 10);
    assert.equal(timelineClients([100, 200]), null);
    const r = smallResults();
    r.config.tasksPerClient = 3;
    assert.match(timelineMissing(analyse(combineInputs([inputFromResults(r)]), 0.5))!, /each client sent 3 tasks/);
  });
});
