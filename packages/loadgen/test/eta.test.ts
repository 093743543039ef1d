import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type Server } from '@socketlab/server-single';
import { runSweep, estimateRunMs, type SweepProgressEvent } from '../src/index.ts';

describe('the ETA learns from the runs already done', () => {
  let server: Server;
  before(async () => {
    server = await startServer({ mode: 'iterative', port: 0 });
  });
  after(() => server.close());

  it('scales the runs left by how long the finished ones really took', { timeout: 30_000 }, async () => {
    // An external target is estimated as one task time per run (loadgen cannot know it serves one client
    // at a time); the iterative server behind it takes N task times. The ETA must learn that.
    const TASK_MS = 60;
    const N = 4;
    const RUNS = 3;
    const events: SweepProgressEvent[] = [];
    const results = await runSweep(
      { target: `127.0.0.1:${server.address.port}`, workloads: ['sleep'], clients: [N], runs: RUNS, timeScale: TASK_MS / 3000, quietWaitMs: 0, noiseRetries: 0 },
      { onProgress: (e) => events.push(e) },
    );
    const estimate = estimateRunMs('external', results.config.workloads[0]!, N, results.config);
    assert.ok(estimate < N * TASK_MS, `the fixture needs an underestimate (${estimate} ms)`);
    const start = events.find((e) => e.type === 'start')!;
    assert.equal(start.type === 'start' && start.estimatedMs, RUNS * estimate, 'before any run: the static estimate');

    const ends = events.filter((e) => e.type === 'run-end');
    assert.equal(ends.length, RUNS);
    const first = ends[0]!;
    // After one run of ≥ N × TASK_MS, the two runs left are worth at least that each: far above what the
    // static estimate says they cost (2 × estimate).
    assert.ok(first.type === 'run-end' && first.remainingMs >= (RUNS - 1) * N * TASK_MS, `ETA ${first.type === 'run-end' && first.remainingMs} ms`);
    assert.ok(first.type === 'run-end' && first.remainingMs > (RUNS - 1) * estimate);
    const last = ends[RUNS - 1]!;
    assert.equal(last.type === 'run-end' && last.remainingMs, 0);
  });
});
