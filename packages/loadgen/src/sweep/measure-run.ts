import { availableParallelism } from 'node:os';
import { SocketlabError } from '@socketlab/protocol';
import {
  histogramRecord, isBuiltIn, mergeHistograms, round3, runDefinitionOf, shareSpread, ticksToMs,
  type ChildShares, type DesignLabel, type ErrorCounts, type LoadgenUsage, type ResolvedSweepConfig, type RunResult, type ServerUsage, type TreeSample, type WorkloadDefinition,
} from '@socketlab/results';
import type { ClientProcesses, ClientRunOutcome } from '../client-processes.ts';
import { LoadgenWorkerError } from '../errors.ts';
import { DEFAULT_ADAPTER_OPTIONS, lessonRequest } from '../adapters.ts';
import type { ClientReport, ClientSpec, PrepareMessage, ResultMessage } from '../messages.ts';
import { sourceAddressesFor } from '../capacity.ts';
import { autoRunTimeoutMs } from '../options.ts';
import type { AcceptCounts, SampledServer } from '../server-process.ts';
import { clientRequests, expectedReply } from '../workloads.ts';

/** Runs of at most this many clients record every client's timeline (clients.timeline). */
export const TIMELINE_MAX_CLIENTS = 1000;

/** After a run, how long we wait for per-connection processes to exit before the final sample, ms. */
const SETTLE_TIMEOUT_MS = 2000;
/** Polling period of that wait, ms. */
const SETTLE_POLL_MS = 20;

function emptyErrors(): ErrorCounts {
  return { total: 0, refused: 0, reset: 0, closed: 0, timeout: 0, protocol: {}, wrongResult: 0, other: 0 };
}

function countErrors(reports: readonly ClientReport[]): ErrorCounts {
  const e = emptyErrors();
  for (const r of reports) {
    if (r.failure && r.failure !== 'protocol') e[r.failure]++;
    e.wrongResult += r.wrongResult;
    for (const [code, n] of Object.entries(r.protocol)) e.protocol[code] = (e.protocol[code] ?? 0) + n;
  }
  e.total = e.refused + e.reset + e.closed + e.timeout + e.other + e.wrongResult + Object.values(e.protocol).reduce((a, b) => a + b, 0);
  return e;
}

/** Running aggregates of the server samples taken during one run. */
export class SampleWindow {
  first: TreeSample | null = null;
  last: TreeSample | null = null;
  peakRss = 0;
  peakProcesses = 0;
  peakThreads = 0;
  count = 0;

  add(s: TreeSample | null): void {
    if (!s) return;
    this.first ??= s;
    this.last = s;
    this.count++;
    this.peakRss = Math.max(this.peakRss, s.rssBytes);
    this.peakProcesses = Math.max(this.peakProcesses, s.processes.size);
    this.peakThreads = Math.max(this.peakThreads, s.threads);
  }

  usage(): ServerUsage {
    const ok = this.first !== null && this.last !== null && this.first !== this.last;
    const user = ok ? ticksToMs(this.last!.userTicks - this.first!.userTicks) : null;
    const sys = ok ? ticksToMs(this.last!.systemTicks - this.first!.systemTicks) : null;
    return {
      cpuUserMs: user === null ? null : Math.max(0, user),
      cpuSystemMs: sys === null ? null : Math.max(0, sys),
      cpuTotalMs: user === null || sys === null ? null : Math.max(0, user + sys),
      peakRssBytes: this.count ? this.peakRss : null,
      peakProcesses: this.count ? this.peakProcesses : null,
      peakThreads: this.count ? this.peakThreads : null,
      samples: this.count,
    };
  }
}

const SOCKETLAB_EXIT = Object.freeze({ request: 'EXIT', expected: Object.freeze({ kind: 'exact', value: 'Goodbye!' } as const) });

/**
 * How the clients of `design` talk: the built-in designs speak socketlab (every reply predicted by
 * expectedReply); external servers (--target, --server) speak config.protocol, whose `line`/`raw`
 * requests are the lesson's lower-case words with their expectations (adapters.ts lessonRequest).
 */
export function clientProtocol(cfg: ResolvedSweepConfig, design: DesignLabel): Pick<PrepareMessage, 'protocol' | 'raw' | 'exit'> & { spec(index: number, requests: string[]): ClientSpec } {
  const p = isBuiltIn(design) ? null : cfg.protocol;
  if (!p || p.name === 'socketlab') {
    return {
      protocol: 'socketlab',
      raw: { terminator: null, bytes: null, gapMs: DEFAULT_ADAPTER_OPTIONS.rawGapMs },
      exit: SOCKETLAB_EXIT,
      spec: (index, requests) => ({ index, requests, expected: requests.map((r) => { const v = expectedReply(r); return v === null ? null : { kind: 'exact', value: v }; }) }),
    };
  }
  return {
    protocol: p.name,
    raw: { terminator: p.rawTerminator, bytes: p.rawBytes, gapMs: p.rawGapMs },
    exit: { request: p.exitRequest, expected: p.exitReply },
    spec: (index, requests) => {
      // resolveConfig refused workloads whose tasks have no expectation, so every request maps.
      const mapped = requests.map((r) => lessonRequest(r, p.expect)!);
      return { index, requests: mapped.map((m) => m.request), expected: mapped.map((m) => m.expected) };
    },
  };
}

/** The designs whose children accept for themselves and log their shares (`idle` lines). */
const PREFORK_DESIGNS: ReadonlySet<DesignLabel> = new Set(['mp-prefork-rr', 'mp-prefork-os', 'mp-prefork-reuseport']);

/** Most time to wait after a run for the server's `idle` line counting its connections, ms. */
const SHARES_TIMEOUT_MS = 2000;

/** How this run's `connections` were shared between the children; null if the server never said. */
async function sharesOf(server: SampledServer, before: AcceptCounts | null, connections: number): Promise<ChildShares | null> {
  const base = before?.accepted ?? [];
  const after = await server.acceptCountsAtLeast(base.reduce((a, b) => a + b, 0) + connections, SHARES_TIMEOUT_MS);
  if (!after) return null;
  const accepted = after.accepted.map((n, i) => n - (base[i] ?? 0));
  return { accept: after.accept, accepted, ...shareSpread(accepted) };
}

export async function settle(server: SampledServer, baseline: number | null): Promise<void> {
  if (baseline === null) return;
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const n = server.processCount();
    if (n === null || n <= baseline) return;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** One shard's part of a run (sharded sweeps): `count` clients from index `first`, released when `releaseGate` says. */
export interface RunShare {
  count: number;
  first: number;
  releaseGate?: () => Promise<number>;
}

/** What the saturation flag is decided from: one run's client-process reports. */
export interface SaturationInputs {
  /** Highest CPU ÷ active time of one client process (1 = a core busy throughout). */
  maxClientUtilization: number;
  /** Highest p99 and max event-loop delay over the client processes, ms; null if no process measured any. */
  eventLoopDelay: { p99Ms: number; maxMs: number } | null;
  saturated: boolean;
}

/**
 * Was the generator the bottleneck? Judged by loadgen's own client processes, not by its CPU over the
 * machine's cores (which the server shares, so that ratio stayed far below any threshold): a client
 * process that kept `saturationThreshold` of one core busy over its part of the run, or whose event loop
 * ran timers `eventLoopDelayThresholdMs` late at the 99th percentile (replies read late, requests sent
 * late: the delay is in the measured times). The parent is left out: it handles no client socket.
 */
export function judgeSaturation(
  results: readonly Pick<ResultMessage, 'cpu' | 'activeMs' | 'eventLoopDelay'>[],
  cfg: Pick<ResolvedSweepConfig, 'saturationThreshold' | 'eventLoopDelayThresholdMs'>,
): SaturationInputs {
  let maxClientUtilization = 0;
  const delays = results.flatMap((r) => (r.eventLoopDelay ? [r.eventLoopDelay] : []));
  const eventLoopDelay = delays.length === 0 ? null : { p99Ms: Math.max(...delays.map((d) => d.p99Ms)), maxMs: Math.max(...delays.map((d) => d.maxMs)) };
  for (const r of results) {
    const cpuMs = (r.cpu.user + r.cpu.system) / 1000;
    maxClientUtilization = Math.max(maxClientUtilization, cpuMs / Math.max(r.activeMs, 0.001));
  }
  const eldLimit = cfg.eventLoopDelayThresholdMs;
  const saturated = maxClientUtilization >= cfg.saturationThreshold || (eldLimit !== undefined && eventLoopDelay !== null && eventLoopDelay.p99Ms >= eldLimit);
  return {
    maxClientUtilization: round3(maxClientUtilization),
    eventLoopDelay: eventLoopDelay && { p99Ms: round3(eventLoopDelay.p99Ms), maxMs: round3(eventLoopDelay.maxMs) },
    saturated,
  };
}

/**
 * loadgen's own usage over one run (closed or open model): its client processes' CPU plus the parent's
 * from the release on, its utilization of the cores it could use, and the saturation judgement.
 */
export function loadgenUsage(
  cfg: ResolvedSweepConfig,
  results: readonly Pick<ResultMessage, 'cpu' | 'activeMs' | 'eventLoopDelay'>[],
  parentCpu: NodeJS.CpuUsage,
  wallMs: number,
): LoadgenUsage {
  const processCpuMs = results.map((r) => round3((r.cpu.user + r.cpu.system) / 1000));
  const workerUser = results.reduce((a, r) => a + r.cpu.user, 0) / 1000;
  const workerSystem = results.reduce((a, r) => a + r.cpu.system, 0) / 1000;
  const parentMs = (parentCpu.user + parentCpu.system) / 1000;
  const cpuTotalMs = workerUser + workerSystem + parentMs;
  const usableCores = Math.max(1, Math.min(availableParallelism(), results.length + 1));
  const judged = judgeSaturation(results, cfg);
  return {
    clientMode: cfg.clientMode,
    processes: results.length,
    usableCores,
    cpuUserMs: round3(workerUser + parentCpu.user / 1000),
    cpuSystemMs: round3(workerSystem + parentCpu.system / 1000),
    cpuTotalMs: round3(cpuTotalMs),
    parentCpuMs: round3(parentMs),
    processCpuMs,
    utilization: round3(cpuTotalMs / (wallMs * usableCores)),
    maxProcessUtilization: round3(Math.max(parentMs, ...processCpuMs) / wallMs),
    maxClientUtilization: judged.maxClientUtilization,
    ...(judged.eventLoopDelay ? { eventLoopDelayP99Ms: judged.eventLoopDelay.p99Ms, eventLoopDelayMaxMs: judged.eventLoopDelay.maxMs } : {}),
    saturated: judged.saturated,
  };
}

/**
 * Samples a server's process tree through one run (both models; one loadgen started, or a --target
 * given --target-pid): start() takes the
 * baseline and starts the periodic samples; finish() waits for per-connection children to go (settle),
 * takes the last sample and stops; usage() is the run's server usage. With no server, all do nothing.
 */
export class ServerSampling {
  readonly #server: SampledServer | null;
  readonly #intervalMs: number;
  readonly #window = new SampleWindow();
  #baseline: number | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(server: SampledServer | null, intervalMs: number) {
    this.#server = server;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    const server = this.#server;
    if (!server) return;
    const s = server.sample();
    this.#window.add(s);
    this.#baseline = s ? s.processes.size : null;
    this.#timer = setInterval(() => this.#window.add(server.sample()), this.#intervalMs);
  }

  async finish(): Promise<void> {
    if (!this.#server) return;
    await settle(this.#server, this.#baseline);
    this.stop();
    this.#window.add(this.#server.sample());
  }

  /** Stops the periodic samples (idempotent; also on failure paths). */
  stop(): void {
    clearInterval(this.#timer);
  }

  usage(): ServerUsage | null {
    return this.#server ? this.#window.usage() : null;
  }
}

/** Runs one run: releases the clients, samples the server meanwhile, and measures what happened. */
export async function executeRun(
  cfg: ResolvedSweepConfig,
  design: DesignLabel,
  workload: WorkloadDefinition,
  clients: number,
  index: number,
  server: SampledServer | null,
  serverInstance: number,
  procs: ClientProcesses,
  aborted: () => boolean,
  share?: RunShare,
): Promise<RunResult> {
  const talk = clientProtocol(cfg, design);
  // A shard runs its contiguous part of the N clients (their global indices); one process runs them all.
  const local = share ?? { count: clients, first: 0 };
  const specs: ClientSpec[] = Array.from({ length: local.count }, (_, k) => talk.spec(local.first + k, clientRequests(workload, local.first + k, cfg.tasksPerClient)));
  const runTimeoutMs = cfg.runTimeoutMs || autoRunTimeoutMs(cfg, clients, workload.taskMs);
  const target = design === 'external' ? cfg.target! : { host: cfg.host, port: server!.port };
  // Every request's send and reply time per client, for runs small enough to draw (docs/results-format.md).
  const withTimeline = clients <= TIMELINE_MAX_CLIENTS;
  const sourceAddresses = sourceAddressesFor(cfg.sourceAddresses ?? 'auto', target.host, clients);
  const sampling = new ServerSampling(server, cfg.sampleIntervalMs);
  let parentCpu0 = process.cpuUsage();
  // A prefork server's children's counts so far (from its last `idle` line): the run's share is the difference.
  const sharesBefore = server?.acceptCounts ?? null;
  let outcome: ClientRunOutcome;
  let parentCpu: NodeJS.CpuUsage;
  const runDefinition = runDefinitionOf(cfg);
  try {
    // The server's baseline: before its clients connect when they connect outside the clock, so that its
    // accept work (a fork or thread per connection) still counts as this run's, and settle() waits for
    // the per-connection children to go, not for the count they had once connected.
    if (runDefinition === 'connect-then-release') sampling.start();
    outcome = await procs.run({ ...target, connectTimeoutMs: cfg.connectTimeoutMs, runTimeoutMs, runDefinition, sourceAddresses, timeline: withTimeline, protocol: talk.protocol, raw: talk.raw, exit: talk.exit }, specs, () => {
      if (runDefinition === 'release-then-connect') sampling.start();
      parentCpu0 = process.cpuUsage();
    }, share?.releaseGate);
    parentCpu = process.cpuUsage(parentCpu0);
    await sampling.finish();
  } catch (err) {
    // Coded errors keep their code (a shard's rendezvous failure is not a worker's).
    if (err instanceof SocketlabError) throw err;
    throw new LoadgenWorkerError((err as Error).message);
  } finally {
    sampling.stop();
  }

  const wasAborted = aborted();
  const release = outcome.releaseAt;
  const reports = outcome.results.flatMap((r) => r.clients).sort((a, b) => a.index - b.index);
  const rel = (t: number | null) => (t === null ? null : round3(Math.max(0, t - release)));
  // Timeline events keep their sign: a reply can come before the release (an ERR to a waiting client).
  const signedRel = (t: number) => round3(t - release);
  const histogram = mergeHistograms(outcome.results.map((r) => r.histogram));
  const errors = countErrors(reports);
  const wallMs = Math.max(outcome.wallMs, 0.001);
  const endTimes = reports.map((r) => r.endAt);
  const childShares = server && PREFORK_DESIGNS.has(design) ? await sharesOf(server, sharesBefore, reports.filter((r) => r.connectAt !== null).length) : undefined;

  return {
    index,
    // A --target server (sampled with --target-pid) is none of the cell's servers.
    serverInstance: server && design !== 'external' ? serverInstance : null,
    startedAt: new Date(release).toISOString(),
    complete: !wasAborted,
    releaseAt: round3(release),
    // A client that failed before the release (connect-then-release) ended, on the run's clock, at 0.
    totalMs: wasAborted || endTimes.length === 0 ? null : round3(Math.max(0, Math.max(...endTimes) - release)),
    wallMs: round3(wallMs),
    ...(outcome.connectPhaseMs === null ? {} : { connectPhaseMs: round3(outcome.connectPhaseMs) }),
    clients: {
      count: local.count,
      completed: reports.filter((r) => r.doneAt !== null).length,
      failed: reports.filter((r) => r.doneAt === null).length,
      // connect-then-release: every connected client connected before its process said ready, so before
      // the release; 0 by construction (comparing the two processes' clocks could read a few µs past it).
      connectMs: reports.map((r) => (runDefinition === 'connect-then-release' && r.connectAt !== null ? 0 : rel(r.connectAt))),
      firstReplyMs: reports.map((r) => rel(r.firstReplyAt)),
      completionMs: reports.map((r) => rel(r.doneAt)),
      ...(withTimeline ? { timeline: {
        sentMs: reports.map((r) => (r.timeline?.sentAt ?? []).map((t) => signedRel(t))),
        replyMs: reports.map((r) => (r.timeline?.replyAt ?? []).map((t) => signedRel(t))),
        closeMs: reports.map((r) => (r.timeline?.closeAt == null ? null : signedRel(r.timeline.closeAt))),
      } } : {}),
    },
    tasks: {
      expected: local.count * cfg.tasksPerClient,
      sent: reports.reduce((a, r) => a + r.tasksSent, 0),
      ok: reports.reduce((a, r) => a + r.tasksOk, 0),
      latencyUs: histogramRecord(histogram),
    },
    errors,
    errorSamples: reports.flatMap((r) => r.messages).slice(0, 10),
    server: sampling.usage(),
    ...(childShares === undefined ? {} : { childShares }),
    loadgen: {
      ...loadgenUsage(cfg, outcome.results, parentCpu, wallMs),
      sourceAddresses,
    },
  };
}
