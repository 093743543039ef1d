import { SocketlabError } from '@socketlab/protocol';
import {
  histogramRecord, mergeHistograms, round3,
  type CapacityProbe, type DesignLabel, type ErrorCounts, type OpenCell, type OpenConfig, type ResolvedSweepConfig, type RunResult, type WorkloadDefinition,
} from '@socketlab/results';
import type { ClientProcesses } from '../client-processes.ts';
import { LoadgenWorkerError } from '../errors.ts';
import type { SampledServer } from '../server-process.ts';
import { ServerSampling, loadgenUsage } from '../sweep/measure-run.ts';
import { integralShare, shareOf } from '../shard/contract.ts';
import { expectedReply } from '../workloads.ts';
import type { OpenResultMessage, OpenShare } from './messages.ts';
import { splitRun } from './schedule.ts';

/** The open model's settings of a resolved config; throws if the config is not an open-model one. */
export function openConfigOf(cfg: ResolvedSweepConfig): OpenConfig {
  if (cfg.model !== 'open' || !cfg.open) throw new LoadgenWorkerError('not an open-model configuration (config.model is not "open")');
  return cfg.open;
}

/** Expected duration of one open-model run, ms (for the progress ETA): the arrivals plus a little drain. */
export function openRunEstimateMs(cfg: ResolvedSweepConfig): number {
  const o = openConfigOf(cfg);
  return o.durationMs + Math.min(o.drainMs, 100) + 50;
}

/**
 * One shard's part of an open-model run (sharded sweeps): shard `index` of `count` takes its integral
 * share of the connections, of the rate and of the queue bound (shard/contract.ts shareOf), and releases
 * at the start agreed with the other shards.
 */
export interface OpenShard {
  index: number;
  count: number;
  releaseGate: () => Promise<number>;
}

/**
 * The shares of a run (or a probe) over the client processes: connections, rate, seeds, templates.
 * Sharded, this shard's part is split over its processes, and each process is numbered globally
 * (shard index × processes + its own), so every process of the sweep has its own seed and template
 * rotation, and constant arrivals interleave across shards: shard i's schedule starts i / rate s after
 * shard 0's (exactly evenly spaced overall when the shares are equal).
 */
function sharesFor(o: OpenConfig, processes: number, workload: WorkloadDefinition, rate: number, probe: boolean, shard?: Pick<OpenShard, 'index' | 'count'>): OpenShare[] {
  const part = (total: number) => (shard ? shareOf(total, shard.index, shard.count).count : total);
  const split = splitRun(processes, part(o.connections), probe ? 0 : part(rate));
  const queueLimit = part(o.queueLimit);
  const shardPhaseMs = shard && !probe && rate > 0 ? (shard.index * 1000) / rate : 0;
  const first = shard ? shard.index * processes : 0;
  return split.connections.map((connections, i) => {
    const g = first + i;
    // Process g starts its rotation of the templates at g, as closed client g does (clientRequests).
    const requests = workload.tasks.map((_, j) => workload.tasks[(g + j) % workload.tasks.length]!);
    return {
      processIndex: g,
      connections,
      rate: split.rates[i]!,
      phaseMs: shardPhaseMs + split.phasesMs[i]!,
      arrival: o.arrival,
      seed: o.seed + g,
      durationMs: probe ? o.probeMs : o.durationMs,
      maxInFlight: o.maxInFlight,
      // Each process holds its integral share of the queue bound.
      queueLimit: integralShare(queueLimit, split.connections.length, i),
      drainMs: o.drainMs,
      requests,
      expected: requests.map(expectedReply),
      probe,
    };
  });
}

function target(cfg: ResolvedSweepConfig, design: DesignLabel, server: SampledServer | null): { host: string; port: number; connectTimeoutMs: number } {
  const t = design === 'external' ? cfg.target! : { host: cfg.host, port: server!.port };
  return { ...t, connectTimeoutMs: cfg.connectTimeoutMs };
}

/**
 * The capacity probe behind percentage rates: every connection kept at maxInFlight requests (a closed
 * loop, each reply followed at once by the next request) for probeMs; capacity = OK replies ÷ the time
 * from the first process's start to the last reply. A closed loop at full occupancy finds what the server
 * sustains with this many connections, which is the throughput an open run can approach, not exceed.
 */
export async function probeCapacity(cfg: ResolvedSweepConfig, design: DesignLabel, workload: WorkloadDefinition, server: SampledServer | null, procs: ClientProcesses, shard?: OpenShard): Promise<CapacityProbe> {
  const o = openConfigOf(cfg);
  const shares = sharesFor(o, procs.size, workload, 0, true, shard);
  const outcome = await procs.runOpen(target(cfg, design, server), shares, () => {}, shard?.releaseGate);
  const reports = outcome.results.map((r) => r.report);
  const start = Math.min(...reports.map((r) => r.startAt));
  const lastReply = Math.max(...reports.map((r) => r.lastReplyAt ?? r.startAt));
  const completed = reports.reduce((a, r) => a + r.completed, 0);
  const sent = reports.reduce((a, r) => a + r.sent, 0);
  const durationMs = Math.max(0.001, lastReply - start);
  return { throughputPerSec: round3(completed / (durationMs / 1000)), durationMs: round3(durationMs), completed, errors: sent - completed + reports.reduce((a, r) => a + r.connections.filter((c) => c.failure !== null).length, 0) };
}

/** A probe's numbers as one shard gives them to the others (ShardHooks.gather). */
export function probeValues(p: CapacityProbe): number[] {
  return [p.completed, p.durationMs, p.errors];
}

/**
 * The capacity the shards probed together (each its share of the connections, all released at one
 * agreed start): their OK replies added, over the longest shard's probe. Every shard computes it from the
 * same numbers in shard order, so every shard gets the same capacity, and so the same cell rates.
 */
export function combineProbes(parts: readonly (readonly number[])[]): CapacityProbe {
  const completed = parts.reduce((a, v) => a + (v[0] ?? 0), 0);
  const durationMs = Math.max(0.001, ...parts.map((v) => v[1] ?? 0));
  const errors = parts.reduce((a, v) => a + (v[2] ?? 0), 0);
  return { throughputPerSec: round3(completed / (durationMs / 1000)), durationMs: round3(durationMs), completed, errors };
}

/** A cell's rate: given in requests/s, or a percentage of the design × workload's probed capacity. */
export function cellRate(spec: { rate: number | null; percent: number | null }, probe: CapacityProbe | null): OpenCell {
  if (spec.rate !== null) return { rate: spec.rate, ratePercent: null, probe: null };
  return { rate: Math.max(1, Math.round((probe!.throughputPerSec * spec.percent!) / 100)), ratePercent: spec.percent, probe };
}

/** Every rate of an open sweep, in sweep order: requests/s ascending, then percentages ascending. */
export function rateSpecs(o: OpenConfig): { rate: number | null; percent: number | null }[] {
  return [...o.rates.map((rate) => ({ rate, percent: null })), ...o.ratePercents.map((percent) => ({ rate: null, percent }))];
}

/**
 * One open-model run at `rate`: connects, releases, samples the server meanwhile, and turns the
 * processes' reports into a RunResult (tasks.latencyUs is the response time) with its `open` part.
 * Sharded (`shard`), it runs this shard's share of the connections and of the rate, released at the
 * agreed start, and records its share as `open.targetRate`.
 */
export async function executeOpenRun(
  cfg: ResolvedSweepConfig,
  design: DesignLabel,
  workload: WorkloadDefinition,
  rate: number,
  index: number,
  server: SampledServer | null,
  serverInstance: number,
  procs: ClientProcesses,
  aborted: () => boolean,
  shard?: OpenShard,
): Promise<RunResult> {
  const o = openConfigOf(cfg);
  const shares = sharesFor(o, procs.size, workload, rate, false, shard);
  const sampling = new ServerSampling(server, cfg.sampleIntervalMs);
  let parentCpu0 = process.cpuUsage();
  let outcome: { releaseAt: number; wallMs: number; results: OpenResultMessage[] };
  let parentCpu: NodeJS.CpuUsage;
  try {
    outcome = await procs.runOpen(target(cfg, design, server), shares, () => {
      sampling.start();
      parentCpu0 = process.cpuUsage();
    }, shard?.releaseGate);
    parentCpu = process.cpuUsage(parentCpu0);
    await sampling.finish();
  } catch (err) {
    // Coded errors keep their code (a shard's rendezvous failure is not a worker's).
    if (err instanceof SocketlabError) throw err;
    throw new LoadgenWorkerError((err as Error).message);
  } finally {
    sampling.stop();
  }
  const shareRate = shares.reduce((a, x) => a + x.rate, 0);
  return openRunResult(cfg, shareRate, index, server && design !== 'external' ? serverInstance : null, outcome, parentCpu, sampling.usage(), aborted(), shares.map((x) => x.seed));
}

/** Builds the RunResult of an open-model run from the processes' reports. Exported for tests. */
export function openRunResult(
  cfg: ResolvedSweepConfig,
  rate: number,
  index: number,
  serverInstance: number | null,
  outcome: { releaseAt: number; wallMs: number; results: readonly OpenResultMessage[] },
  parentCpu: NodeJS.CpuUsage,
  serverUsage: RunResult['server'],
  wasAborted: boolean,
  seeds: readonly number[] = outcome.results.map((_, i) => openConfigOf(cfg).seed + i),
): RunResult {
  const o = openConfigOf(cfg);
  const release = outcome.releaseAt;
  const reports = outcome.results.map((r) => r.report);
  const conns = reports.flatMap((r) => r.connections);
  const sum = (f: (r: (typeof reports)[number]) => number) => reports.reduce((a, r) => a + f(r), 0);
  const rel = (t: number | null) => (t === null ? null : round3(Math.max(0, t - release)));
  const response = mergeHistograms(reports.map((r) => r.response));
  const service = mergeHistograms(reports.map((r) => r.service));
  const lag = mergeHistograms(reports.map((r) => r.pacingLag));

  const counts = {
    arrivals: sum((r) => r.arrivals), sent: sum((r) => r.sent), sentLate: sum((r) => r.sentLate), dropped: sum((r) => r.dropped), unsent: sum((r) => r.unsent),
    completed: sum((r) => r.completed), errorReplies: sum((r) => r.errorReplies), wrongValues: sum((r) => r.wrongValues), timeouts: sum((r) => r.timeouts), lost: sum((r) => r.lost),
  };
  const replies = counts.completed + counts.errorReplies + counts.wrongValues;
  const lastReply = Math.max(...reports.map((r) => r.lastReplyAt ?? 0));
  const windowEnd = Math.max(release + o.durationMs, lastReply);
  const windowMs = Math.max(0.001, windowEnd - release);
  const throughput = counts.completed / (windowMs / 1000);
  const offered = counts.arrivals / (o.durationMs / 1000);

  // Errors: a failed connection once by how it failed; requests left at the drain's end as timeouts.
  const errors: ErrorCounts = { total: 0, refused: 0, reset: 0, closed: 0, timeout: counts.timeouts + counts.unsent, protocol: {}, wrongResult: counts.wrongValues, other: 0 };
  for (const c of conns) if (c.failure && c.failure !== 'protocol') errors[c.failure]++;
  for (const r of reports) for (const [code, n] of Object.entries(r.protocol)) errors.protocol[code] = (errors.protocol[code] ?? 0) + n;
  errors.total = errors.refused + errors.reset + errors.closed + errors.timeout + errors.other + errors.wrongResult + Object.values(errors.protocol).reduce((a, b) => a + b, 0);

  const wallMs = Math.max(outcome.wallMs, 0.001);
  const loadgen = loadgenUsage(cfg, outcome.results, parentCpu, wallMs);
  const lagRecord = histogramRecord(lag);

  return {
    index,
    serverInstance,
    startedAt: new Date(release).toISOString(),
    complete: !wasAborted,
    releaseAt: round3(release),
    totalMs: wasAborted || conns.length === 0 ? null : round3(Math.max(...conns.map((c) => c.endAt)) - release),
    wallMs: round3(wallMs),
    clients: {
      count: conns.length,
      completed: conns.filter((c) => c.doneAt !== null).length,
      failed: conns.filter((c) => c.doneAt === null).length,
      connectMs: conns.map((c) => rel(c.connectAt)),
      firstReplyMs: conns.map((c) => rel(c.firstReplyAt)),
      completionMs: conns.map((c) => rel(c.doneAt)),
    },
    tasks: { expected: counts.arrivals, sent: counts.sent, ok: counts.completed, latencyUs: histogramRecord(response) },
    errors,
    errorSamples: reports.flatMap((r) => r.messages).slice(0, 10),
    server: serverUsage,
    loadgen,
    open: {
      targetRate: rate,
      offeredRate: round3(offered),
      throughputPerSec: round3(throughput),
      windowMs: round3(windowMs),
      processes: outcome.results.length,
      seeds: [...seeds],
      ...counts,
      replies,
      peakQueued: Math.max(0, ...reports.map((r) => r.peakQueued)),
      serviceUs: histogramRecord(service),
      pacingLagUs: lagRecord,
      meanInSystem: round3(sum((r) => r.inSystemMs) / windowMs),
      saturated: counts.dropped > 0 || throughput < (1 - o.rateTolerance) * offered,
      generatorLimited: loadgen.saturated || (lagRecord.p99 ?? 0) > o.pacingLagThresholdMs * 1000,
    },
  };
}
