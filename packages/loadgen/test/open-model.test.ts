import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@socketlab/protocol';
import { createHistogram, decodeHistogram, encodeHistogram, recordUs, sweepFlags, validateResults, type ResolvedSweepConfig, type RunResult } from '@socketlab/results';
import { ClientProcesses } from '../src/client-processes.ts';
import { nameFlags } from '@socketlab/protocol/cli';
import { FLAGS, parseArgs } from '../src/cli.ts';
import { BRAND } from '../src/messages.ts';
import { OpenShareRunner } from '../src/open/open-client.ts';
import type { OpenPrepareMessage, OpenResultMessage, OpenShareReport } from '../src/open/messages.ts';
import { executeOpenRun, openRunResult, combineProbes, probeValues } from '../src/open/measure.ts';
import { DEFAULT_OPEN_OPTIONS, ratesValue } from '../src/open/options.ts';
import { arrivalTimes, splitRun } from '../src/open/schedule.ts';
import { integralShare } from '../src/shard/contract.ts';
import { resolveConfig } from '../src/options.ts';
import { ServerProcess } from '../src/server-process.ts';
import { executeRun } from '../src/sweep/measure-run.ts';
import { runSweep } from '../src/sweep/run-sweep.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('open model: schedules and shares', () => {
  it('splits a whole number into integral shares that add up', () => {
    assert.deepEqual([0, 1, 2].map((i) => integralShare(10, 3, i)), [4, 3, 3]);
    for (const [total, parts] of [[1, 2], [7, 7], [1000, 3], [5, 8]] as const) {
      assert.equal(Array.from({ length: parts }, (_, i) => integralShare(total, parts, i)).reduce((a, b) => a + b, 0), total);
    }
  });

  it('uses no more processes than connections or requests/s, each with at least one of both', () => {
    assert.deepEqual(splitRun(2, 4, 200), { connections: [2, 2], rates: [100, 100], phasesMs: [0, 5] });
    assert.deepEqual(splitRun(4, 3, 1000).connections, [1, 1, 1]);
    assert.deepEqual(splitRun(4, 16, 2).rates, [1, 1]);
    assert.deepEqual(splitRun(2, 5, 0), { connections: [3, 2], rates: [0, 0], phasesMs: [0, 0] }, 'a probe has no rate');
  });

  it('spaces constant arrivals evenly and interleaves the processes', () => {
    const [a, b] = [0, 1].map((i) => [...arrivalTimes('constant', 100, 1000, splitRun(2, 2, 200).phasesMs[i]!, 1)]);
    assert.equal(a!.length, 100);
    assert.equal(b!.length, 100);
    const all = [...a!, ...b!].sort((x, y) => x - y);
    for (let i = 1; i < all.length; i++) assert.ok(Math.abs(all[i]! - all[i - 1]! - 5) < 1e-9, `gap ${all[i]! - all[i - 1]!} ms at ${i}`);
  });

  it('draws Poisson arrivals from the seed: the same seed, the same schedule; the rate on average', () => {
    const one = [...arrivalTimes('poisson', 1000, 10_000, 0, 7)];
    assert.deepEqual([...arrivalTimes('poisson', 1000, 10_000, 0, 7)], one);
    assert.notDeepEqual([...arrivalTimes('poisson', 1000, 10_000, 0, 8)].slice(0, 10), one.slice(0, 10));
    // 10 000 expected, standard deviation 100: ±5σ.
    assert.ok(one.length > 9500 && one.length < 10_500, `${one.length} arrivals`);
    assert.ok(one.every((t, i) => t < 10_000 && (i === 0 || t > one[i - 1]!)));
    // Exponential gaps: about 63 % of them shorter than the mean (1 − 1/e).
    const short = one.filter((t, i) => i > 0 && t - one[i - 1]! < 1).length / (one.length - 1);
    assert.ok(short > 0.6 && short < 0.66, `share of gaps under the mean: ${short}`);
  });
});

describe('open model: options and flags', () => {
  it('parses --rates lists and ranges of requests/s and percentages', () => {
    assert.deepEqual(ratesValue('100,200,400', '--rates'), [100, 200, 400]);
    assert.deepEqual(ratesValue('10%..30%:10%,500', '--rates'), ['10%', '20%', '30%', 500]);
    assert.deepEqual(ratesValue('0.1%..0.3%:0.1%', '--rates'), ['0.1%', '0.2%', '0.3%']);
    assert.throws(() => ratesValue('10%..100:10', '--rates'), /--rates: range "10%..100:10" mixes percentages and requests\/s/);
    assert.throws(() => ratesValue('fast', '--rates'), /--rates: "fast" is neither a rate/);
  });

  it('resolves --model open with its defaults, the connections as clients, and no closed-model field', () => {
    const c = resolveConfig(parseArgs(['--model', 'open', '--designs', 'single-event-loop', '--rates', '200,100,50%']).options);
    assert.equal(c.model, 'open');
    const { model: _model, rates: _rates, ...defaults } = DEFAULT_OPEN_OPTIONS;
    assert.deepEqual(c.open, { rates: [100, 200], ratePercents: [50], ...defaults });
    assert.deepEqual(c.clients, [16]);
    const closed = resolveConfig({ designs: ['single-event-loop'] });
    assert.equal('model' in closed, false, 'closed configs stay as they were: absent = closed');
    assert.equal('open' in closed, false);
  });

  it('round-trips an open config through @socketlab/results\' sweepFlags and the CLI', () => {
    const recorded = resolveConfig({ model: 'open', designs: ['mt-pool'], workloads: ['sleep'], rates: [50, '12.5%', '100%'], arrival: 'poisson', seed: 9, durationMs: 700, connections: 3, maxInFlight: 2, queueLimit: 40, drainMs: 100, probeMs: 200, rateTolerance: 0.1, pacingLagThresholdMs: 7 });
    const again = resolveConfig(parseArgs(sweepFlags(recorded)).options);
    assert.equal(again.model, 'open');
    assert.deepEqual(again.open, recorded.open);
    assert.deepEqual(again.clients, [3]);
  });

  const bad: [string[], RegExp][] = [
    [['--rates', '100'], /--rates applies only to model "open"/],
    [['--model', 'open', '--clients', '4'], /--clients does not apply to model "open"/],
    [['--model', 'open', '--tasks-per-client', '4'], /--tasks-per-client does not apply to model "open"/],
    [['--model', 'open', '--client-mode', 'process'], /--client-mode "process" does not apply to model "open"/],
    [['--model', 'open', '--rates', '0'], /--rates\[0\] must be an integer between 1 and/],
    [['--model', 'open', '--rates', '100,100'], /--rates\[1\] repeats 100/],
    [['--model', 'open', '--rate-tolerance', '2'], /--rate-tolerance must be a number >= 0 and <= 1/],
    [['--model', 'shut'], /--model must be one of closed, open/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')} naming the flag`, () => {
      // The CLI skeleton rewords the API's errors with nameFlags: what the user sees.
      let seen: Error | null = null;
      try {
        resolveConfig(parseArgs(argv).options);
      } catch (err) {
        seen = err as Error;
      }
      assert.ok(seen, 'refused');
      assert.equal((seen as Error & { code?: string }).code, 'SOCKETLAB_ERR_INVALID_OPTION');
      assert.match(nameFlags(seen.message, FLAGS), message);
    });
  }
});

/** A process report as a worker sends it, for openRunResult. */
function report(over: Partial<OpenShareReport>, responseMs: number[], serviceMs: number[], lagMs: number[]): OpenShareReport {
  const h = (values: number[]) => {
    const x = createHistogram();
    for (const v of values) recordUs(x, v * 1000);
    return encodeHistogram(x);
  };
  return {
    startAt: 1000, lastReplyAt: 1900, drainEndAt: 2000, arrivals: 0, sent: 0, sentLate: 0, dropped: 0, unsent: 0, completed: 0, errorReplies: 0, wrongValues: 0, timeouts: 0, lost: 0, peakQueued: 0,
    protocol: {}, inSystemMs: 0, response: h(responseMs), service: h(serviceMs), pacingLag: h(lagMs),
    connections: [{ connectAt: 990, firstReplyAt: 1010, doneAt: 2001, endAt: 2001, failure: null }], messages: [], ...over,
  };
}

describe('open model: a run\'s result from the processes\' reports', () => {
  const cfg = resolveConfig({ model: 'open', designs: ['single-event-loop'], workloads: ['ping'], rates: [100], durationMs: 1000 });
  const result = (reports: OpenShareReport[]): RunResult => {
    const results: OpenResultMessage[] = reports.map((r) => ({ [BRAND]: true, type: 'open-result', runId: 1, report: r, cpu: { user: 1000, system: 1000 }, activeMs: 1100, eventLoopDelay: { p99Ms: 1, maxMs: 2 } }));
    return openRunResult(cfg, 100, 0, 0, { releaseAt: 1000, wallMs: 1100, results }, { user: 0, system: 0 }, null, false);
  };

  it('adds up the counts and histograms, and flags a server that kept up as neither saturated nor generator-limited', () => {
    const r = result([
      report({ arrivals: 50, sent: 50, completed: 50, inSystemMs: 50 * 2 }, Array(50).fill(2), Array(50).fill(1), Array(50).fill(1)),
      report({ arrivals: 50, sent: 50, completed: 50, inSystemMs: 50 * 2, lastReplyAt: 1950 }, Array(50).fill(2), Array(50).fill(1), Array(50).fill(1)),
    ]);
    const o = r.open!;
    assert.equal(o.arrivals, 100);
    assert.equal(o.replies, 100);
    assert.equal(r.tasks.latencyUs.count, 100);
    assert.equal(o.serviceUs.count, 100);
    assert.equal(o.offeredRate, 100);
    assert.equal(o.throughputPerSec, 100, 'window: the release → the end of the arrivals (the last reply came before it)');
    assert.equal(o.meanInSystem, 0.2, 'L = 200 request·ms over 1000 ms');
    assert.equal(o.saturated, false);
    assert.equal(o.generatorLimited, false);
    assert.equal(r.errors.total, 0);
    assert.equal(r.clients.count, 2);
    assert.deepEqual(r.clients.connectMs, [0, 0], 'connected before the release');
  });

  it('flags dropped arrivals and a short throughput as saturated, a late pacing loop as generator-limited, and counts leftovers as timeouts', () => {
    const r = result([
      report({ arrivals: 100, sent: 60, dropped: 30, unsent: 10, completed: 55, timeouts: 5, lastReplyAt: 2500 }, Array(55).fill(300), Array(55).fill(1), [...Array(90).fill(1), ...Array(10).fill(50)]),
    ]);
    const o = r.open!;
    assert.equal(o.saturated, true);
    assert.equal(o.generatorLimited, true, 'pacing lag p99 50 ms > 10 ms');
    assert.equal(o.windowMs, 1500);
    assert.equal(r.errors.timeout, 15, 'timeouts + unsent');
    assert.equal(r.errors.total, 15);
    assert.equal(r.tasks.expected, 100);
    assert.equal(r.tasks.ok, 55);
  });

  it('judges the generator as the closed model does: a client process whose event loop ran late makes the run generator-limited, its pacing on time or not', () => {
    const rep = report({ arrivals: 100, sent: 100, completed: 100 }, Array(100).fill(2), Array(100).fill(1), Array(100).fill(1));
    const late: OpenResultMessage = { [BRAND]: true, type: 'open-result', runId: 1, report: rep, cpu: { user: 1000, system: 1000 }, activeMs: 1100, eventLoopDelay: { p99Ms: 45, maxMs: 60 } };
    const r = openRunResult(cfg, 100, 0, 0, { releaseAt: 1000, wallMs: 1100, results: [late] }, { user: 0, system: 0 }, null, false);
    assert.equal(r.loadgen.saturated, true, `event-loop delay p99 45 ms ≥ ${cfg.eventLoopDelayThresholdMs} ms`);
    assert.equal(r.loadgen.eventLoopDelayP99Ms, 45);
    assert.equal(r.open!.generatorLimited, true);
    assert.equal(r.open!.saturated, false, 'the server kept up: that is a different flag');
  });
});

/**
 * The self-test: one `SLEEP 1000` stalls the single-event-loop server for a second in the middle of a
 * steady 200 requests/s of PING over 4 connections (one request outstanding each). Every arrival during
 * the stall waits for it, so the response time (from the intended send time) shows it at p99; only the 4
 * requests in flight when it began see it in their service time (from the actual send). Under the closed
 * model the same stall is one slow reply per connection, invisible at p99. Bounds are generous (a loaded
 * 2-core machine), but a latency measured from the actual send time would fail the first assertion.
 */
describe('open model: the stall self-test', () => {
  let server: ServerProcess;
  let procs: ClientProcesses;
  const base = { designs: ['single-event-loop'] as const, workloads: ['ping'] as const, loadgenWorkers: 2 };

  before(async () => {
    server = await ServerProcess.start('single-event-loop', 0, resolveConfig({ designs: ['single-event-loop'] }));
    procs = await ClientProcesses.start(2, 10_000);
  });
  after(async () => {
    await procs?.close();
    await server?.stop(5000);
  });

  /** Sends one SLEEP on a connection of its own after `delayMs`; resolves with its reply. */
  async function stallAfter(delayMs: number, sleepMs: number): Promise<string> {
    await sleep(delayMs);
    const client = await connect({ port: server.port });
    try {
      return await client.request(`SLEEP ${sleepMs}`);
    } finally {
      await client.close();
    }
  }

  let openRun: RunResult;

  it('open model: response p99 shows the stall, service p99 does not', { timeout: 30_000 }, async (t) => {
    const cfg: ResolvedSweepConfig = resolveConfig({ ...base, designs: [...base.designs], workloads: [...base.workloads], model: 'open', rates: [200], connections: 4, maxInFlight: 1, durationMs: 3000 });
    const workload = cfg.workloads[0]!;
    const [run, stall] = await Promise.all([executeOpenRun(cfg, 'single-event-loop', workload, 200, 0, server, 0, procs, () => false), stallAfter(1000, 1000)]);
    openRun = run;
    assert.equal(stall, '1000');
    const o = run.open!;
    const responseP99 = run.tasks.latencyUs.p99! / 1000;
    const serviceP99 = o.serviceUs.p99! / 1000;
    const detail = JSON.stringify({ responseP99, serviceP99, sentLate: o.sentLate, serviceMax: o.serviceUs.max, samples: run.errorSamples });
    t.diagnostic(`open: response p99 ${responseP99} ms, service p99 ${serviceP99} ms, ${o.sentLate} sent late, throughput ${o.throughputPerSec}/s`);
    assert.equal(o.arrivals, 600, '200/s for 3 s, split 100/s + 100/s over 2 processes');
    assert.equal(o.dropped, 0);
    assert.equal(run.errors.total, 0, detail);
    assert.equal(o.completed, 600);
    assert.equal(o.sent, o.arrivals);
    assert.ok(o.sentLate >= 100, `about 200 arrivals came during the stall and had to wait for a slot: ${detail}`);
    assert.ok(o.serviceUs.max! >= 500_000, `the requests in flight when it began did see the stall: ${detail}`);
    assert.ok(responseP99 >= 400, `response p99 reflects the 1 s stall: ${detail}`);
    assert.ok(serviceP99 < responseP99 / 3, `service p99 stays far below it: ${detail}`);
    // Little's law, as the report checks it: L (counted by the generator) = throughput × mean response time.
    const lw = (o.replies / (o.windowMs / 1000)) * (run.tasks.latencyUs.mean! / 1e6);
    assert.ok(Math.abs(o.meanInSystem - lw) / lw < 0.05, `L ${o.meanInSystem} vs λW ${lw}`);
    assert.equal(decodeHistogram(run.tasks.latencyUs.encoded).totalCount, 600);
  });

  it('closed model: the same stall is one slow reply per connection, and its p99 stays far below the open one', { timeout: 30_000 }, async (t) => {
    assert.ok(openRun, 'needs the open run above');
    // The same 600 PINGs on the same 4 connections, closed loop: each waits for its reply, then sends the next.
    const cfg = resolveConfig({ ...base, designs: [...base.designs], workloads: [...base.workloads], clients: [4], tasksPerClient: 150 });
    const stall = stallAfter(0, 1000);
    await sleep(200); // the server is now inside the SLEEP: the clients' first requests wait for it
    const run = await executeRun(cfg, 'single-event-loop', cfg.workloads[0]!, 4, 0, server, 0, procs, () => false);
    assert.equal(await stall, '1000');
    assert.equal(run.errors.total, 0, JSON.stringify(run.errorSamples));
    assert.equal(run.tasks.latencyUs.count, 600);
    const closedP99 = run.tasks.latencyUs.p99! / 1000;
    const openP99 = openRun.tasks.latencyUs.p99! / 1000;
    t.diagnostic(`closed: p99 ${closedP99} ms, max ${run.tasks.latencyUs.max! / 1000} ms; open response p99 ${openP99} ms`);
    assert.ok(run.tasks.latencyUs.max! >= 500_000, `the stall happened during the closed run (max ${run.tasks.latencyUs.max} µs)`);
    assert.ok(closedP99 < openP99 / 3, `closed p99 ${closedP99} ms far below open response p99 ${openP99} ms`);
  });

  it('drops arrivals beyond the queue bound and counts what the drain leaves as timeouts and unsent', { timeout: 30_000 }, async () => {
    // The server sleeps 1.5 s from before the run to after its end and drain: one request goes out, 5 wait, the rest are dropped.
    const stall = stallAfter(0, 1500);
    await sleep(200);
    const prep: OpenPrepareMessage = {
      [BRAND]: true, type: 'open-prepare', runId: 1, host: '127.0.0.1', port: server.port, connectTimeoutMs: 5000,
      share: { processIndex: 0, connections: 1, rate: 100, phaseMs: 0, arrival: 'constant', seed: 1, durationMs: 500, maxInFlight: 1, queueLimit: 5, drainMs: 200, requests: ['PING'], expected: ['PONG'], probe: false },
    };
    const runner = new OpenShareRunner(prep);
    await runner.connect();
    const r = await runner.run(new AbortController().signal);
    assert.equal(await stall, '1500');
    assert.deepEqual(
      { arrivals: r.arrivals, sent: r.sent, sentLate: r.sentLate, unsent: r.unsent, dropped: r.dropped, timeouts: r.timeouts, completed: r.completed, lost: r.lost, peakQueued: r.peakQueued },
      { arrivals: 50, sent: 1, sentLate: 0, unsent: 5, dropped: 44, timeouts: 1, completed: 0, lost: 0, peakQueued: 5 },
    );
    assert.equal(r.connections[0]!.doneAt, null, 'the connection with a request outstanding was cut, not sent EXIT');
    // The requests left in the system stayed there until the drain's end: at least the 200 ms drain each.
    assert.ok(r.inSystemMs >= 6 * 200, `in system ${r.inSystemMs} request·ms`);
  });
});

describe('open model: a sweep end to end', () => {
  it('probes the capacity, runs a cell per rate, and writes schema-valid results that record the model', { timeout: 60_000 }, async () => {
    const results = await runSweep({
      model: 'open', designs: ['single-event-loop'], workloads: ['ping'], rates: [50, '20%'], durationMs: 500, probeMs: 300, connections: 2, runs: 1,
      arrival: 'poisson', seed: 42, quietWaitMs: 0, noiseRetries: 0,
    });
    assert.deepEqual(validateResults(results).errors, []);
    assert.equal(results.complete, true, results.abortReason ?? '');
    assert.equal(results.config.model, 'open');
    assert.deepEqual(results.cells.map((c) => [c.model, c.clients, c.open?.ratePercent ?? null]), [['open', 2, null], ['open', 2, 20]]);
    const [fixed, percent] = results.cells;
    assert.equal(fixed!.open!.rate, 50);
    assert.equal(fixed!.open!.probe, null);
    const probe = percent!.open!.probe!;
    assert.ok(probe.throughputPerSec > 0 && probe.completed > 0, JSON.stringify(probe));
    assert.equal(percent!.open!.rate, Math.max(1, Math.round(probe.throughputPerSec * 0.2)));
    for (const cell of results.cells) {
      const run = cell.runs[0]!;
      const o = run.open!;
      assert.deepEqual(o.seeds, Array.from({ length: o.processes }, (_, i) => 42 + i));
      // Every arrival accounted for.
      assert.equal(o.arrivals, o.dropped + o.sent + o.unsent);
      assert.equal(o.sent, o.replies + o.timeouts + o.lost);
      assert.equal(o.replies, o.completed + o.errorReplies + o.wrongValues);
      assert.equal(run.tasks.latencyUs.count, o.replies);
      assert.equal(o.serviceUs.count, o.replies);
      assert.ok(o.arrivals > 0);
      assert.equal(run.clients.completed, 2, JSON.stringify(run.errorSamples));
    }
  });
});

describe('open model: the shards\' joint capacity probe', () => {
  it('adds the shards\' OK replies and errors over the longest probe, the same for every shard', () => {
    const parts = [probeValues({ throughputPerSec: 0, durationMs: 300, completed: 100, errors: 0 }), probeValues({ throughputPerSec: 0, durationMs: 310, completed: 50, errors: 1 })];
    assert.deepEqual(combineProbes(parts), { throughputPerSec: 483.871, durationMs: 310, completed: 150, errors: 1 });
    assert.deepEqual(combineProbes([...parts]), combineProbes(parts));
  });
});
