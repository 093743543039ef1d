import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type Server } from '@socketlab/server-single';
import { validateResults } from '@socketlab/results';
import { runSweep } from '../src/index.ts';
import { DEFAULT_SWEEP_OPTIONS } from '../src/options.ts';
import { judgeSaturation } from '../src/sweep/measure-run.ts';

/** One client process's report: CPU ms over active ms, and its event-loop delay. */
const proc = (cpuMs: number, activeMs: number, eld: { p99Ms: number; maxMs: number } | null = { p99Ms: 1, maxMs: 2 }) => ({
  cpu: { user: cpuMs * 1000 * 0.75, system: cpuMs * 1000 * 0.25 },
  activeMs,
  eventLoopDelay: eld,
});

describe('judgeSaturation', () => {
  const cfg = { saturationThreshold: 0.9, eventLoopDelayThresholdMs: 20 };

  it('judges each client process by one core, not loadgen\'s CPU over every core', () => {
    // Two processes: one idle, one busy 95 % of its run. Over 3 usable cores the old ratio read 0.33.
    const busy = judgeSaturation([proc(1, 100), proc(95, 100)], cfg);
    assert.equal(busy.maxClientUtilization, 0.95);
    assert.equal(busy.saturated, true);
    const polite = judgeSaturation([proc(10, 100), proc(20, 100)], cfg);
    assert.equal(polite.maxClientUtilization, 0.2);
    assert.equal(polite.saturated, false);
  });

  it('fires on event-loop delay alone, and keeps the worst p99 and max over the processes', () => {
    const late = judgeSaturation([proc(10, 100, { p99Ms: 3, maxMs: 40 }), proc(10, 100, { p99Ms: 25, maxMs: 30 })], cfg);
    assert.deepEqual(late.eventLoopDelay, { p99Ms: 25, maxMs: 40 });
    assert.equal(late.saturated, true);
    // A single long stall shows in max, not in p99: not saturated.
    assert.equal(judgeSaturation([proc(10, 100, { p99Ms: 2, maxMs: 80 })], cfg).saturated, false);
  });

  it('without an event-loop threshold (a config from before it), judges by CPU only; no samples, no delay', () => {
    assert.equal(judgeSaturation([proc(10, 100, { p99Ms: 500, maxMs: 500 })], { saturationThreshold: 0.9 }).saturated, false);
    assert.equal(judgeSaturation([proc(10, 100, null)], cfg).eventLoopDelay, null);
  });
});

describe('the saturation flag in a sweep', () => {
  let server: Server;
  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
  });
  after(() => server.close());

  // WAIT 60: the event-loop server overlaps it, so the clients, not the server, are what could be slow.
  const options = () => ({ target: `127.0.0.1:${server.address.port}`, workloads: ['wait' as const], clients: [4], timeScale: 0.02, quietWaitMs: 0, noiseRetries: 0 });

  it('fires when the client processes are starved (test-only busy loop in each)', { timeout: 30_000 }, async () => {
    const BURN_MS = 40;
    process.env.SOCKETLAB_LOADGEN_TEST_BURN_MS = String(BURN_MS);
    let results: Awaited<ReturnType<typeof runSweep>>;
    try {
      results = await runSweep({ ...options(), runs: 1 });
    } finally {
      delete process.env.SOCKETLAB_LOADGEN_TEST_BURN_MS;
    }
    assert.deepEqual(validateResults(results).errors, []);
    const run = results.cells[0]!.runs[0]!;
    assert.equal(run.errors.total, 0, JSON.stringify(run.errorSamples));
    assert.equal(run.loadgen.saturated, true);
    // A 1 ms timer cannot fire during a 40 ms busy loop: each sample is about that late.
    assert.ok(run.loadgen.eventLoopDelayP99Ms! >= BURN_MS * 0.75, `p99 ${run.loadgen.eventLoopDelayP99Ms} ms`);
    assert.ok(run.loadgen.eventLoopDelayMaxMs! >= run.loadgen.eventLoopDelayP99Ms!);
    assert.ok(run.loadgen.maxClientUtilization! > 0);
    assert.equal(results.cells[0]!.summary.saturatedRuns, 1);
    assert.ok(results.warnings.some((w) => /1 of 1 runs flagged saturated: a loadgen client process/.test(w)), results.warnings.join('\n'));
  });

  it('does not fire on a small polite run', { timeout: 30_000 }, async () => {
    const results = await runSweep({ ...options(), runs: 3 });
    assert.deepEqual(validateResults(results).errors, []);
    const runs = results.cells[0]!.runs;
    for (const run of runs) {
      assert.equal(run.errors.total, 0);
      // 4 clients and one WAIT each: a client process is idle nearly all the run.
      assert.ok(run.loadgen.maxClientUtilization! < 0.5, `client CPU ${run.loadgen.maxClientUtilization} of a core`);
      assert.equal(typeof run.loadgen.eventLoopDelayP99Ms, 'number');
      assert.equal(run.loadgen.saturated, run.loadgen.eventLoopDelayP99Ms! >= DEFAULT_SWEEP_OPTIONS.eventLoopDelayThresholdMs);
    }
    // Other work on a shared machine can hold a client process off the CPU for tens of ms, and that
    // counts (the delay is in the run's times); so one run of three may be flagged, not all of them.
    assert.ok(runs.some((r) => !r.loadgen.saturated), JSON.stringify(runs.map((r) => r.loadgen)));
  });
});
