import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ClientProcesses, type ClientRunOutcome } from './client-processes.ts';
import { collectEnvironment } from './environment.ts';
import { InvalidOptionError, detectRuntime } from '@socketlab/protocol';
import { LoadgenWorkerError, ServerStartError } from './errors.ts';
import { histogramRecord, mergeHistograms } from './histogram.ts';
import type { ClientReport, ClientSpec } from './messages.ts';
import { autoRunTimeoutMs, describeScale, resolveConfig, type SweepOptions } from './options.ts';
import { clockTicksPerSecond, type TreeSample } from './procfs.ts';
import {
  SCHEMA_VERSION,
  type CellResult, type CellSummary, type DesignLabel, type DesignName, type ErrorCounts, type ResolvedSweepConfig, type RunResult, type ServerUsage,
  type SweepResults, type WorkloadDefinition,
} from './schema.ts';
import { ServerProcess, killAllServersSync } from './server-process.ts';
import { round3, stat } from './stats.ts';
import { validateConfig } from './validate.ts';
import { clientRequests, expectedReply } from './workloads.ts';

/** Where a run sits in the sweep. `index` and `run` count from 1. */
export interface RunPosition {
  index: number;
  total: number;
  design: DesignLabel;
  workload: string;
  clients: number;
  run: number;
  runs: number;
}

/** Progress of a sweep, for progress bars and logs. Times in ms. */
export type SweepProgressEvent =
  | { type: 'start'; totalRuns: number; estimatedMs: number; scale: string; config: ResolvedSweepConfig }
  | { type: 'run-start'; position: RunPosition }
  | { type: 'run-end'; position: RunPosition; totalMs: number | null; errors: number; saturated: boolean; elapsedMs: number; remainingMs: number }
  | { type: 'warning'; message: string }
  | { type: 'end'; complete: boolean; durationMs: number };

export interface SweepHooks {
  /** Called for every progress event (exceptions it throws are ignored). */
  onProgress?: (event: SweepProgressEvent) => void;
  /** Aborting stops the sweep cleanly: the current run's clients give up, its server is stopped, and the
   * partial results come back with `complete: false` and `abortReason` (the signal's reason, if a string). */
  signal?: AbortSignal;
}

/** Attempts at starting a server before its cell is skipped, and the pause between them (ms). */
const SERVER_START_ATTEMPTS = 3;
const SERVER_START_RETRY_MS = 2000;
/** After a run, how long we wait for per-connection processes to exit before the final sample, ms. */
const SETTLE_TIMEOUT_MS = 2000;
/** Polling period of that wait, ms. */
const SETTLE_POLL_MS = 20;
/**
 * Rough costs used only for the progress ETA, ms: a server start, the run barrier, and per-client
 * process (mp-per-connection) or thread (mt-per-connection) start on the 2-core reference machine.
 */
const ESTIMATE = Object.freeze({ serverStartMs: 150, runOverheadMs: 30, forkPerClientMs: 40, threadPerClientMs: 16, clientProcessMs: 60 });

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@socketlab/loadgen' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** Loadgen's package version (for `tool.version` and --version). */
export const VERSION = readVersion();

/** Expected duration of one run, ms: only for the ETA, so deliberately simple. */
export function estimateRunMs(design: DesignLabel, workload: WorkloadDefinition, clients: number, config: Pick<ResolvedSweepConfig, 'tasksPerClient' | 'poolSize' | 'clientMode'>): number {
  const cores = availableParallelism();
  const perClient = workload.taskMs * config.tasksPerClient;
  const cpuShare = workload.costModel === 'cpu' ? 1 : workload.costModel === 'mixed' ? 1 / 3 : 0;
  const blockShare = workload.costModel === 'blocking-io' ? 1 : workload.costModel === 'mixed' ? 1 / 3 : 0;
  let serial: number; // how many clients' work runs one after another
  switch (design) {
    case 'single-iterative':
      serial = clients;
      break;
    case 'single-event-loop':
      serial = Math.max(1, clients * (cpuShare + blockShare));
      break;
    case 'mp-pool':
    case 'mt-pool':
      serial = Math.max(1, (clients * (cpuShare + blockShare)) / Math.min(config.poolSize, clients));
      break;
    default:
      serial = Math.max(1, (clients * cpuShare) / cores);
  }
  let overhead = ESTIMATE.runOverheadMs;
  if (design === 'mp-per-connection') overhead += clients * ESTIMATE.forkPerClientMs;
  if (design === 'mt-per-connection') overhead += clients * ESTIMATE.threadPerClientMs;
  if (config.clientMode === 'process') overhead += (clients * ESTIMATE.clientProcessMs) / cores;
  return serial * perClient + overhead;
}

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
class SampleWindow {
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
    const hz = clockTicksPerSecond();
    const ok = this.first !== null && this.last !== null && this.first !== this.last;
    const user = ok ? ((this.last!.userTicks - this.first!.userTicks) * 1000) / hz : null;
    const sys = ok ? ((this.last!.systemTicks - this.first!.systemTicks) * 1000) / hz : null;
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

function summarize(cell: CellResult): CellSummary {
  // A run where any client failed (refused, reset, timed out, wrong reply) has a total time, but it is
  // the time to the last failure, not the lesson's "last Goodbye!": it stays in the raw values (as null
  // in the stats' `values`) and out of the medians, and its errors are counted below.
  const done = (r: RunResult) => r.complete && r.errors.total === 0;
  const per = (f: (r: RunResult) => number | null) => stat(cell.runs.map((r) => (done(r) ? f(r) : null)));
  const complete = cell.runs.filter(done);
  return {
    completedRuns: complete.length,
    totalMs: per((r) => r.totalMs),
    serverCpuMs: per((r) => r.server?.cpuTotalMs ?? null),
    serverPeakRssBytes: per((r) => r.server?.peakRssBytes ?? null),
    loadgenCpuMs: per((r) => r.loadgen.cpuTotalMs),
    latencyP50Us: per((r) => r.tasks.latencyUs.p50),
    latencyP99Us: per((r) => r.tasks.latencyUs.p99),
    latencyUs: histogramRecord(mergeHistograms(complete.map((r) => r.tasks.latencyUs.encoded))),
    errors: cell.runs.reduce((a, r) => a + r.errors.total, 0),
    saturatedRuns: cell.runs.filter((r) => r.loadgen.saturated).length,
  };
}

function isResolvedConfig(x: unknown): x is ResolvedSweepConfig {
  const w = (x as { workloads?: unknown } | null)?.workloads;
  return Array.isArray(w) && w.length > 0 && typeof w[0] === 'object';
}

/**
 * Runs a sweep: designs × workloads × client counts × runs. `config` is either SweepOptions (resolved
 * over its preset) or a fully resolved configuration, such as the `config` of an earlier results
 * document (re-running it). Resolves with the results document; never rejects once the sweep has begun:
 * an interrupted or failed sweep resolves with `complete: false` and `abortReason`.
 */
export async function runSweep(config: SweepOptions | ResolvedSweepConfig = {}, hooks: SweepHooks = {}): Promise<SweepResults> {
  let cfg: ResolvedSweepConfig;
  if (isResolvedConfig(config)) {
    const check = validateConfig(config);
    if (!check.ok) throw new InvalidOptionError(`config${check.errors[0]!.path.replaceAll('/', '.')} ${check.errors[0]!.message}`);
    cfg = config;
  } else {
    cfg = resolveConfig(config);
  }
  const { signal } = hooks;
  const emit = (event: SweepProgressEvent) => {
    try {
      hooks.onProgress?.(event);
    } catch {
      // a broken progress display must not break the sweep
    }
  };
  const startedAt = new Date();
  const t0 = performance.now();
  const environment = collectEnvironment(await detectRuntime());
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    emit({ type: 'warning', message });
  };

  type Plan = { design: DesignLabel; workload: WorkloadDefinition; clients: number; estimateMs: number };
  const plans: Plan[] = [];
  for (const design of cfg.designs) {
    for (const workload of cfg.workloads) {
      for (const clients of cfg.clients) plans.push({ design, workload, clients, estimateMs: estimateRunMs(design, workload, clients, cfg) });
    }
  }
  const totalRuns = plans.length * cfg.runs;
  const serverStarts = cfg.designs.includes('external') ? 0 : cfg.serverLifecycle === 'run' ? totalRuns : plans.length;
  const estimatedMs = plans.reduce((a, p) => a + p.estimateMs * cfg.runs, 0) + serverStarts * ESTIMATE.serverStartMs;
  const scale = describeScale(cfg);
  emit({ type: 'start', totalRuns, estimatedMs, scale, config: cfg });

  const cells: CellResult[] = [];
  let abortReason: string | null = null;
  let shared: ClientProcesses | null = null;
  let current: ClientProcesses | null = null;
  let server: ServerProcess | null = null;
  let runNumber = 0;
  let estimateDone = 0;

  const onAbort = () => {
    const r = signal?.reason as unknown;
    abortReason ??= typeof r === 'string' ? r : r instanceof Error && r.name !== 'AbortError' ? r.message : 'aborted';
    current?.abort();
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort);
  process.on('exit', killAllServersSync);

  const stopServer = async (s: ServerProcess) => {
    const stop = await s.stop(cfg.stopTimeoutMs);
    if (!stop.clean) {
      warn(
        `${s.record.design} server (pid ${s.record.pid}) did not stop cleanly: exit ${stop.exitSignal ?? stop.exitCode}` +
          `${stop.forcedKill ? ', killed after stopTimeoutMs' : ''}${stop.leftoverPids.length ? `, leftover processes ${stop.leftoverPids.join(' ')} killed` : ''}` +
          `${stop.portFree === false ? `, port ${s.record.port} still in use` : ''}`,
      );
    }
  };

  try {
    if (cfg.clientMode === 'workers' && !abortReason) shared = await ClientProcesses.start(cfg.loadgenWorkers, cfg.startTimeoutMs);
    for (const plan of plans) {
      if (abortReason) break;
      const cell: CellResult = { design: plan.design, workload: plan.workload.name, clients: plan.clients, complete: false, servers: [], runs: [], summary: undefined as unknown as CellSummary };
      cells.push(cell);
      try {
        for (let r = 0; r < cfg.runs && !abortReason; r++) {
          const position: RunPosition = { index: ++runNumber, total: totalRuns, design: plan.design, workload: plan.workload.name, clients: plan.clients, run: r + 1, runs: cfg.runs };
          if (plan.design !== 'external' && server === null) {
            server = await startServerWithRetry(plan.design, cell.servers.length, cfg, warn);
            cell.servers.push(server.record);
            estimateDone += ESTIMATE.serverStartMs;
          }
          if (abortReason) break;
          emit({ type: 'run-start', position });
          current = cfg.clientMode === 'process' ? await ClientProcesses.start(plan.clients, Math.max(cfg.startTimeoutMs, plan.clients * 200)) : shared!;
          let run: RunResult;
          try {
            run = await executeRun(cfg, plan.design, plan.workload, plan.clients, r, server, cell.servers.length - 1, current, () => abortReason !== null);
          } finally {
            if (cfg.clientMode === 'process') await current.close();
            current = null;
          }
          cell.runs.push(run);
          if (cfg.serverLifecycle === 'run' && server) {
            await stopServer(server);
            server = null;
          }
          estimateDone += plan.estimateMs;
          const elapsedMs = performance.now() - t0;
          // The estimate is rough: scale what is left by how far off it has been so far.
          const drift = Math.min(10, Math.max(0.1, elapsedMs / Math.max(estimateDone, 1)));
          const remainingMs = Math.max(0, estimatedMs - estimateDone) * drift;
          emit({ type: 'run-end', position, totalMs: run.totalMs, errors: run.errors.total, saturated: run.loadgen.saturated, elapsedMs, remainingMs });
        }
      } catch (err) {
        if (!(err instanceof ServerStartError)) throw err;
        warn(`${plan.design} × ${plan.workload.name} × N=${plan.clients}: ${err.message}; cell skipped`);
      } finally {
        if (server) {
          await stopServer(server);
          server = null;
        }
        cell.complete = cell.runs.length === cfg.runs && cell.runs.every((x) => x.complete);
        cell.summary = summarize(cell);
      }
    }
  } catch (err) {
    // Unexpected failures (a client process died, …) end the sweep, but what was measured is kept.
    const e = err instanceof Error ? (err as Error & { code?: unknown }) : new Error(String(err));
    abortReason ??= `error: ${'code' in e && e.code ? `${String(e.code)} ` : ''}${e.message}`;
    warn(`sweep stopped early: ${e.message}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (server) await stopServer(server);
    await shared?.close();
    process.off('exit', killAllServersSync);
  }

  const allRuns = cells.flatMap((c) => c.runs);
  const saturated = allRuns.filter((r) => r.loadgen.saturated).length;
  if (saturated > 0) warn(`${saturated} of ${allRuns.length} runs flagged saturated: loadgen used ≥ ${cfg.saturationThreshold * 100} % of the CPU it could use`);
  const withErrors = allRuns.filter((r) => r.errors.total > 0 && r.complete).length;
  if (withErrors > 0) warn(`${withErrors} of ${allRuns.length} runs had errors (see each run's errors and errorSamples)`);

  const complete = abortReason === null && cells.length === plans.length && cells.every((c) => c.complete);
  const durationMs = round3(performance.now() - t0);
  emit({ type: 'end', complete, durationMs });
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: '@socketlab/loadgen', version: VERSION },
    complete,
    abortReason: complete ? null : (abortReason ?? 'incomplete: some cells could not run (see warnings)'),
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    durationMs,
    scale,
    environment,
    config: cfg,
    cells,
    warnings,
  };
}

/**
 * Starts a server; on ServerStartError waits and tries again, SERVER_START_ATTEMPTS times in all (a
 * package being rebuilt at that moment has no dist/ for a second or two).
 */
async function startServerWithRetry(design: DesignName, index: number, cfg: ResolvedSweepConfig, warn: (m: string) => void): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ServerProcess.start(design, index, cfg);
    } catch (err) {
      if (!(err instanceof ServerStartError) || attempt >= SERVER_START_ATTEMPTS) throw err;
      warn(`${design}: start attempt ${attempt} failed (${err.message.split('\n')[0]}); retrying in ${SERVER_START_RETRY_MS} ms`);
      await new Promise((r) => setTimeout(r, SERVER_START_RETRY_MS));
    }
  }
}

async function settle(server: ServerProcess, baseline: number | null): Promise<void> {
  if (baseline === null) return;
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const n = server.processCount();
    if (n === null || n <= baseline) return;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

async function executeRun(
  cfg: ResolvedSweepConfig,
  design: DesignLabel,
  workload: WorkloadDefinition,
  clients: number,
  index: number,
  server: ServerProcess | null,
  serverInstance: number,
  procs: ClientProcesses,
  aborted: () => boolean,
): Promise<RunResult> {
  const specs: ClientSpec[] = Array.from({ length: clients }, (_, i) => {
    const requests = clientRequests(workload, i, cfg.tasksPerClient);
    return { index: i, requests, expected: requests.map(expectedReply) };
  });
  const runTimeoutMs = cfg.runTimeoutMs || autoRunTimeoutMs(cfg, clients, workload.taskMs);
  const target = design === 'external' ? cfg.target! : { host: cfg.host, port: server!.port };
  const window = new SampleWindow();
  let baselineProcesses: number | null = null;
  let sampler: NodeJS.Timeout | undefined;
  let parentCpu0 = process.cpuUsage();
  let outcome: ClientRunOutcome;
  let parentCpu: NodeJS.CpuUsage;
  try {
    outcome = await procs.run({ ...target, connectTimeoutMs: cfg.connectTimeoutMs, runTimeoutMs }, specs, () => {
      if (server) {
        const s = server.sample();
        window.add(s);
        baselineProcesses = s ? s.processes.size : null;
        sampler = setInterval(() => window.add(server.sample()), cfg.sampleIntervalMs);
      }
      parentCpu0 = process.cpuUsage();
    });
    parentCpu = process.cpuUsage(parentCpu0);
    if (server) {
      await settle(server, baselineProcesses);
      clearInterval(sampler);
      window.add(server.sample());
    }
  } catch (err) {
    if (err instanceof LoadgenWorkerError) throw err;
    throw new LoadgenWorkerError((err as Error).message);
  } finally {
    clearInterval(sampler);
  }

  const wasAborted = aborted();
  const release = outcome.releaseAt;
  const reports = outcome.results.flatMap((r) => r.clients).sort((a, b) => a.index - b.index);
  const rel = (t: number | null) => (t === null ? null : round3(Math.max(0, t - release)));
  const histogram = mergeHistograms(outcome.results.map((r) => r.histogram));
  const errors = countErrors(reports);
  const processCpuMs = outcome.results.map((r) => round3((r.cpu.user + r.cpu.system) / 1000));
  const workerUser = outcome.results.reduce((a, r) => a + r.cpu.user, 0) / 1000;
  const workerSystem = outcome.results.reduce((a, r) => a + r.cpu.system, 0) / 1000;
  const parentMs = (parentCpu.user + parentCpu.system) / 1000;
  const cpuTotalMs = workerUser + workerSystem + parentMs;
  const wallMs = Math.max(outcome.wallMs, 0.001);
  const usableCores = Math.max(1, Math.min(availableParallelism(), outcome.results.length + 1));
  const utilization = cpuTotalMs / (wallMs * usableCores);
  const maxProcessUtilization = Math.max(parentMs, ...processCpuMs) / wallMs;
  const endTimes = reports.map((r) => r.endAt);

  return {
    index,
    serverInstance: server ? serverInstance : null,
    startedAt: new Date(release).toISOString(),
    complete: !wasAborted,
    releaseAt: round3(release),
    totalMs: wasAborted || endTimes.length === 0 ? null : round3(Math.max(...endTimes) - release),
    wallMs: round3(wallMs),
    clients: {
      count: clients,
      completed: reports.filter((r) => r.doneAt !== null).length,
      failed: reports.filter((r) => r.doneAt === null).length,
      connectMs: reports.map((r) => rel(r.connectAt)),
      firstReplyMs: reports.map((r) => rel(r.firstReplyAt)),
      completionMs: reports.map((r) => rel(r.doneAt)),
    },
    tasks: {
      expected: clients * cfg.tasksPerClient,
      sent: reports.reduce((a, r) => a + r.tasksSent, 0),
      ok: reports.reduce((a, r) => a + r.tasksOk, 0),
      latencyUs: histogramRecord(histogram),
    },
    errors,
    errorSamples: reports.flatMap((r) => r.messages).slice(0, 10),
    server: server ? window.usage() : null,
    loadgen: {
      clientMode: cfg.clientMode,
      processes: outcome.results.length,
      usableCores,
      cpuUserMs: round3(workerUser + parentCpu.user / 1000),
      cpuSystemMs: round3(workerSystem + parentCpu.system / 1000),
      cpuTotalMs: round3(cpuTotalMs),
      parentCpuMs: round3(parentMs),
      processCpuMs,
      utilization: round3(utilization),
      maxProcessUtilization: round3(maxProcessUtilization),
      saturated: utilization >= cfg.saturationThreshold || maxProcessUtilization >= cfg.saturationThreshold,
    },
  };
}
