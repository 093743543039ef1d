import { availableParallelism } from 'node:os';
import {
  histogramRecord, mergeHistograms, round3, ticksToMs,
  type DesignLabel, type ErrorCounts, type ResolvedSweepConfig, type RunResult, type ServerUsage, type TreeSample, type WorkloadDefinition,
} from '@socketlab/results';
import type { ClientProcesses, ClientRunOutcome } from '../client-processes.ts';
import { LoadgenWorkerError } from '../errors.ts';
import type { ClientReport, ClientSpec } from '../messages.ts';
import { sourceAddressesFor } from '../capacity.ts';
import { autoRunTimeoutMs } from '../options.ts';
import type { ServerProcess } from '../server-process.ts';
import { clientRequests, expectedReply } from '../workloads.ts';

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

async function settle(server: ServerProcess, baseline: number | null): Promise<void> {
  if (baseline === null) return;
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const n = server.processCount();
    if (n === null || n <= baseline) return;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** Runs one run: releases the clients, samples the server meanwhile, and measures what happened. */
export async function executeRun(
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
  const sourceAddresses = sourceAddressesFor(cfg.sourceAddresses ?? 'auto', target.host, clients);
  const window = new SampleWindow();
  let baselineProcesses: number | null = null;
  let sampler: NodeJS.Timeout | undefined;
  let parentCpu0 = process.cpuUsage();
  let outcome: ClientRunOutcome;
  let parentCpu: NodeJS.CpuUsage;
  try {
    outcome = await procs.run({ ...target, connectTimeoutMs: cfg.connectTimeoutMs, runTimeoutMs, sourceAddresses }, specs, () => {
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
      sourceAddresses,
    },
  };
}
