import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSweep, type SweepProgressEvent } from '../src/index.ts';
import { validateResults } from '@socketlab/results';
import { alivePids } from './helpers.ts';

// Real servers, real sockets on 127.0.0.1. Task times are small but far above scheduling noise, and the
// assertions are about order (iterative needs N × t; per-connection does not), never tight timings.
const TASK_MS = 150;
const N = 4;

describe('runSweep end to end', () => {
  it('sweeps two designs and writes schema-valid results with the lesson\'s shape', { timeout: 60_000 }, async () => {
    const events: SweepProgressEvent[] = [];
    // Two runs: the summary's shape is checked with more than one value.
    const results = await runSweep(
      { preset: 'smoke', designs: ['single-iterative', 'mp-per-connection'], workloads: ['sleep'], clients: [N], runs: 2, timeScale: TASK_MS / 3000 },
      { onProgress: (e) => events.push(e) },
    );
    const check = validateResults(results);
    assert.deepEqual(check.errors, []);
    assert.equal(results.complete, true);
    assert.equal(results.abortReason, null);
    assert.equal(results.cells.length, 2);
    assert.match(results.scale, /timeScale 0\.05: tasks of 150 ms instead of 3000 ms/);

    const [iterative, perConnection] = results.cells;
    for (const cell of results.cells) {
      const run = cell.runs[0]!;
      assert.equal(run.errors.total, 0, JSON.stringify(run.errorSamples));
      assert.equal(run.clients.completed, N);
      assert.equal(run.tasks.ok, N);
      assert.equal(run.tasks.latencyUs.count, N);
      assert.equal(cell.summary.totalMs.values.length, 2);
      assert.ok(run.clients.completionMs.every((t) => t !== null && t >= TASK_MS && t <= run.totalMs!));
      assert.ok(run.server && run.server.samples >= 2 && run.server.cpuTotalMs !== null && run.server.peakRssBytes! > 1e6);
      assert.ok(run.loadgen.cpuTotalMs > 0 && run.loadgen.processes >= 1);
      // Stopped with SIGTERM, nothing left behind.
      const server = cell.servers[0]!;
      assert.equal(server.stop?.clean, true, JSON.stringify(server.stop));
      assert.deepEqual(alivePids([server.pid]), []);
    }
    // Iterative: one client at a time, so at least N × t. (Whether per-connection is faster is a
    // measurement, not a property: on a loaded machine its forks can cost more than N × t. That its
    // clients are served at once is proven by order in server-mp's behaviour suite.)
    const it0 = Math.min(...iterative!.runs.map((r) => r.totalMs!));
    assert.ok(it0 >= N * TASK_MS, `iterative ${it0} ms >= ${N} × ${TASK_MS} ms`);
    // Clients of the iterative server finish one task time apart.
    const done = iterative!.runs[0]!.clients.completionMs.map(Number).sort((a, b) => a - b);
    for (let i = 1; i < done.length; i++) assert.ok(done[i]! - done[i - 1]! >= TASK_MS * 0.9, `gap ${done[i]! - done[i - 1]!}`);
    // mp-per-connection forks a process per client: the tree grew beyond the parent.
    assert.ok(perConnection!.runs[0]!.server!.peakProcesses! >= 2);

    // (Warnings, e.g. of noisy runs on a busy machine, may come in between.)
    assert.deepEqual(events.map((e) => e.type).filter((t) => t !== 'warning'), ['start', ...Array(4).fill(['run-start', 'run-end']).flat(), 'end']);
  });

  it('runs clients as one process each (--client-mode process)', { timeout: 30_000 }, async () => {
    const results = await runSweep({ preset: 'smoke', designs: ['single-event-loop'], workloads: ['ping'], clients: [3], runs: 1, clientMode: 'process', tasksPerClient: 5 });
    assert.deepEqual(validateResults(results).errors, []);
    const run = results.cells[0]!.runs[0]!;
    assert.equal(run.loadgen.processes, 3);
    assert.equal(run.loadgen.processCpuMs.length, 3);
    assert.equal(run.tasks.ok, 15);
    assert.equal(run.errors.total, 0);
  });

  it('starts a recycled design afresh for every run even with serverLifecycle "cell" (each run starts from unused spares)', { timeout: 60_000 }, async () => {
    const results = await runSweep({ preset: 'smoke', designs: ['mt-per-connection-recycled', 'mt-pool'], workloads: ['wait'], clients: [2], runs: 2, timeScale: 0.01, serverLifecycle: 'cell', quietWaitMs: 0, noiseRetries: 0 });
    const [recycled, pool] = results.cells;
    assert.deepEqual(recycled!.runs.map((r) => r.serverInstance), [0, 1]);
    assert.equal(recycled!.servers.length, 2);
    assert.deepEqual(pool!.runs.map((r) => r.serverInstance), [0, 0], 'other designs still share one per cell');
  });

  it('records every client\'s timeline: each request sent, each reply, in order, then the close', { timeout: 30_000 }, async () => {
    const results = await runSweep({ preset: 'smoke', designs: ['single-iterative'], workloads: ['wait'], clients: [3], runs: 1, tasksPerClient: 2, timeScale: 0.01, quietWaitMs: 0, noiseRetries: 0 });
    const run = results.cells[0]!.runs[0]!;
    assert.deepEqual(validateResults(results).errors, []);
    const t = run.clients.timeline!;
    for (let i = 0; i < 3; i++) {
      const sent = t.sentMs[i]!;
      const reply = t.replyMs[i]!;
      assert.equal(sent.length, 3, 'two tasks and EXIT');
      assert.equal(reply.length, 3, 'two replies and Goodbye!');
      for (let k = 0; k < 3; k++) {
        assert.ok(sent[k]! <= reply[k]!, `client ${i}: request ${k} sent before its reply`);
        if (k < 2) assert.ok(reply[k]! <= sent[k + 1]!, `client ${i}: request ${k + 1} sent after reply ${k}`);
      }
      assert.ok(Math.abs(reply[2]! - run.clients.completionMs[i]!) < 1, 'the last reply is the Goodbye (two clock readings of one moment)');
      assert.ok(t.closeMs[i]! >= reply[2]!, 'closed after Goodbye');
    }
    // The iterative server serves one client at a time: each client's first request is answered after the previous client's Goodbye.
    const order = [0, 1, 2].sort((a, b) => t.replyMs[a]![0]! - t.replyMs[b]![0]!);
    for (let k = 1; k < 3; k++) assert.ok(t.replyMs[order[k]!]![0]! >= t.replyMs[order[k - 1]!]![2]!, 'served one after another');
  });

  it('shares one server per cell with serverLifecycle "cell"', { timeout: 30_000 }, async () => {
    const results = await runSweep({ preset: 'smoke', designs: ['mt-pool'], workloads: ['fib'], clients: [2], runs: 2, timeScale: 0.001, serverLifecycle: 'cell' });
    const cell = results.cells[0]!;
    assert.equal(cell.servers.length, 1);
    assert.deepEqual(cell.runs.map((r) => r.serverInstance), [0, 0]);
    assert.equal(cell.summary.totalMs.values.length, 2);
    assert.equal(cell.summary.completedRuns, 2);
    assert.equal(cell.runs.reduce((a, r) => a + r.tasks.ok, 0), 4);
  });

  it('stops cleanly when aborted: partial results, complete false, no server left', { timeout: 30_000 }, async () => {
    const controller = new AbortController();
    const started = performance.now();
    const promise = runSweep(
      { preset: 'smoke', designs: ['single-iterative'], workloads: ['sleep'], clients: [4], runs: 3, timeScale: 1 / 3 },
      { signal: controller.signal, onProgress: (e) => e.type === 'run-start' && setTimeout(() => controller.abort('SIGINT'), 300) },
    );
    const results = await promise;
    assert.ok(performance.now() - started < 10_000, 'returned without finishing the 4 s runs');
    assert.equal(results.complete, false);
    assert.equal(results.abortReason, 'SIGINT');
    assert.deepEqual(validateResults(results).errors, []);
    const cell = results.cells[0]!;
    assert.equal(cell.complete, false);
    assert.equal(cell.runs.length, 1);
    assert.equal(cell.runs[0]!.complete, false);
    assert.equal(cell.runs[0]!.totalMs, null);
    assert.equal(cell.summary.completedRuns, 0);
    assert.notEqual(cell.servers[0]!.stop, null);
    assert.deepEqual(alivePids([cell.servers[0]!.pid]), []);
  });
});
