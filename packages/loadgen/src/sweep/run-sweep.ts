import { InvalidOptionError, deepFreeze, detectRuntime } from '@socketlab/protocol';
import {
  SCHEMA_VERSION, designOf, isBuiltIn, round3, validateConfig,
  type CellResult, type CellSummary, type DesignLabel, type DesignName, type ResolvedSweepConfig, type SweepResults, type WorkloadDefinition,
} from '@socketlab/results';
import { checkClientCapacity } from '../capacity.ts';
import { ClientProcesses } from '../client-processes.ts';
import { collectEnvironment } from '../environment.ts';
import { ServerStartError } from '../errors.ts';
import { describeScale, resolveConfig, type SweepOptions } from '../options.ts';
import { ServerProcess, killAllServersSync } from '../server-process.ts';
import { TargetProcess } from '../target-process.ts';
import { VERSION } from '../version.ts';
import { summarize } from './aggregate.ts';
import { budgetRecord, oneRunMs, planSweepBudget } from './budget.ts';
import { finishBudget, spendExtraRuns } from './budget-extra.ts';
import { ESTIMATE, LearnedEta, estimateRunMs } from './estimate.ts';
import type { RunPosition, SweepHooks, SweepProgressEvent } from './events.ts';
import { executeRun } from './measure-run.ts';
import { measureQuietest, noiseExclusions } from './quietest.ts';
import { cellRate, combineProbes, executeOpenRun, openRunEstimateMs, probeCapacity, probeValues, rateSpecs, type OpenShard } from '../open/measure.ts';
import type { CapacityProbe } from '@socketlab/results';

/** Attempts at starting a server before its cell is skipped, and the pause between them (ms). */
const SERVER_START_ATTEMPTS = 3;
const SERVER_START_RETRY_MS = 2000;

function isResolvedConfig(x: unknown): x is ResolvedSweepConfig {
  const w = (x as { workloads?: unknown } | null)?.workloads;
  return Array.isArray(w) && w.length > 0 && typeof w[0] === 'object';
}

/**
 * Runs a sweep: designs × workloads × client counts × runs. `config` is either SweepOptions (resolved
 * over its preset) or a fully resolved configuration, such as the `config` of an earlier results
 * document (re-running it). Resolves with the results document; never rejects once the sweep has begun:
 * an interrupted or failed sweep resolves with `complete: false` and `abortReason`. Before it begins, it
 * throws InvalidOptionError for a bad configuration (or a `hooks.targetPid` that is no live process
 * here) and ClientCapacityError for more clients than this machine can take (open files, local ports).
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
  // A time budget (budget.ts) decides, before anything starts, which N and how many runs fit.
  const requested = { clients: cfg.clients, runs: cfg.runs };
  const budgetPlan = planSweepBudget(cfg, hooks.shard !== undefined);
  if (budgetPlan) cfg = deepFreeze({ ...cfg, clients: budgetPlan.clients, runs: budgetPlan.runs });
  checkClientCapacity(cfg);
  // The --target server's process, when it runs here: sampled like a server loadgen starts, never stopped.
  const target = hooks.targetPid === undefined ? null : TargetProcess.attach(hooks.targetPid, cfg.target, 'targetPid');
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

  // Open model (src/open/): a cell per rate instead of per N, its clients the connection count.
  type Plan = { design: DesignLabel; workload: WorkloadDefinition; clients: number; estimateMs: number; open?: { rate: number | null; percent: number | null } };
  const plans: Plan[] = [];
  for (const design of cfg.designs) {
    for (const workload of cfg.workloads) {
      if (cfg.model === 'open' && cfg.open) {
        for (const open of rateSpecs(cfg.open)) plans.push({ design, workload, clients: cfg.open.connections, estimateMs: openRunEstimateMs(cfg), open });
        continue;
      }
      for (const clients of cfg.clients) plans.push({ design, workload, clients, estimateMs: estimateRunMs(design, workload, clients, cfg) });
    }
  }
  /** Capacity probes of the open model, by design × workload: run once, before the first percentage cell. */
  const probes = new Map<string, CapacityProbe>();
  let totalRuns = plans.length * cfg.runs;
  const serverStarts = cfg.designs.includes('external') ? 0 : cfg.serverLifecycle === 'run' ? totalRuns : plans.reduce((a, p) => a + (freshPerRun(p.design) ? cfg.runs : 1), 0);
  const estimatedMs = plans.reduce((a, p) => a + p.estimateMs * cfg.runs, 0) + serverStarts * ESTIMATE.serverStartMs;
  const scale = describeScale(cfg);
  emit({ type: 'start', totalRuns, estimatedMs, scale, config: cfg, ...(budgetPlan ? { budget: budgetPlan.note } : {}) });

  const cells: CellResult[] = [];
  let abortReason: string | null = null;
  /** Why the first skipped cell's server did not start: the exit line says it. */
  let firstSkip: string | null = null;
  let shared: ClientProcesses | null = null;
  let current: ClientProcesses | null = null;
  let server: ServerProcess | null = null;
  let runNumber = 0;
  const eta = new LearnedEta();
  const exclude = noiseExclusions(hooks);
  /** Sharded: this shard's part of an open-model run or probe, released by `gate`; unsharded: none. */
  const openShard = (gate: () => Promise<number>): OpenShard | undefined => hooks.shard && { index: hooks.shard.index, count: hooks.shard.count, releaseGate: gate };

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

  /** Runs `cell` up to `upTo` runs (its plan's, or one more for the budget's extra runs). */
  const runCell = async (plan: Plan, cell: CellResult, upTo: number) => {
    try {
      for (let r = cell.runs.length; r < upTo && !abortReason; r++) {
        const position: RunPosition = { index: ++runNumber, total: totalRuns, design: plan.design, workload: plan.workload.name, clients: plan.clients, run: r + 1, runs: Math.max(cfg.runs, upTo) };
        if (plan.design !== 'external' && server === null) {
          server = await startServerWithRetry(plan.design, cell.servers.length, cfg, plan.clients, warn);
          cell.servers.push(server.record);
        }
        if (abortReason) break;
        if (plan.open && !cell.open) {
          const key = `${plan.design}\u0000${plan.workload.name}`;
          if (plan.open.percent !== null && !probes.has(key)) {
            current = shared; // so that an interrupt reaches the probe too
            let probe: CapacityProbe;
            try {
              // Sharded: every shard probes its share of the connections from one agreed start, and the
              // capacity is theirs together (each shard then derives the same rates from it).
              const label = `probe ${plan.design}/${plan.workload.name}`;
              probe = await probeCapacity(cfg, plan.design, plan.workload, server ?? target, shared!, openShard(() => hooks.shard!.start(label)));
              if (hooks.shard) probe = combineProbes(await hooks.shard.gather(`${label} result`, probeValues(probe)));
            } finally {
              current = null;
            }
            probes.set(key, probe);
            if (probe.errors > 0) warn(`${plan.design} × ${plan.workload.name}: the capacity probe had ${probe.errors} error(s); its ${probe.throughputPerSec} requests/s may understate the capacity`);
          }
          cell.open = cellRate(plan.open, probes.get(key) ?? null);
        }
        if (cell.open) position.rate = cell.open.rate;
        if (abortReason) break;
        emit({ type: 'run-start', position });
        const runStartedAt = performance.now();
        const run = await measureQuietest(cfg, () => abortReason !== null, async () => {
          current = cfg.clientMode === 'process' ? await ClientProcesses.start(plan.clients, Math.max(cfg.startTimeoutMs, plan.clients * 200)) : shared!;
          try {
            const releaseGate = hooks.shard && (() => hooks.shard!.release(position));
            if (cell.open) return await executeOpenRun(cfg, plan.design, plan.workload, cell.open.rate, r, server ?? target, cell.servers.length - 1, current, () => abortReason !== null, openShard(releaseGate!));
            const share = hooks.shard && { ...hooks.shard.share(plan.clients), releaseGate: releaseGate! };
            return await executeRun(cfg, plan.design, plan.workload, plan.clients, r, server ?? target, cell.servers.length - 1, current, () => abortReason !== null, share);
          } finally {
            if (cfg.clientMode === 'process') await current.close();
            current = null;
          }
        }, exclude);
        if (hooks.shard) run.sync = hooks.shard.sync(run);
        cell.runs.push(run);
        if (run.noise?.noisy) warn(`${plan.design} × ${plan.workload.name} × N=${plan.clients} run ${r + 1}: other processes used ${Math.round((run.noise.foreignCpuShare ?? 0) * 100)} % of the machine's CPU in the quietest of ${run.noise.attempts} attempt(s) (threshold ${Math.round((cfg.noiseThreshold ?? 0) * 100)} %): flagged noisy`);
        if ((cfg.serverLifecycle === 'run' || freshPerRun(plan.design)) && server) {
          await stopServer(server);
          server = null;
        }
        eta.learn(plan.design, plan.estimateMs, performance.now() - runStartedAt);
        const elapsedMs = performance.now() - t0;
        const remainingMs = eta.remainingMs(plans, runNumber, cfg.runs, elapsedMs);
        emit({ type: 'run-end', position, totalMs: run.totalMs, errors: run.errors.total, saturated: run.loadgen.saturated, noisy: run.noise?.noisy === true, elapsedMs, remainingMs });
      }
    } catch (err) {
      if (!(err instanceof ServerStartError)) throw err;
      warn(`${plan.design} × ${plan.workload.name} × N=${plan.clients}: ${err.message}; cell skipped`);
      // A ServerStartError's message has the server's own words (its stderr) escaped and capped already.
      firstSkip ??= `${plan.design}: ${err.message}`;
    } finally {
      if (server) {
        await stopServer(server);
        server = null;
      }
      cell.complete = cell.runs.length >= cfg.runs && cell.runs.every((x) => x.complete);
      cell.summary = summarize(cell);
    }
  };

  try {
    if (cfg.clientMode === 'workers' && !abortReason) shared = await ClientProcesses.start(cfg.loadgenWorkers, cfg.startTimeoutMs);
    for (const plan of plans) {
      if (abortReason) break;
      const cell: CellResult = { design: plan.design, workload: plan.workload.name, clients: plan.clients, complete: false, servers: [], runs: [], summary: undefined as unknown as CellSummary };
      if (plan.open) cell.model = 'open';
      cells.push(cell);
      await runCell(plan, cell, cfg.runs);
    }
    // Time left in the budget: one more run of each cell of a pair the comparison rule cannot yet separate.
    const planOf = (c: CellResult) => plans[cells.indexOf(c)]!;
    if (budgetPlan) {
      await spendExtraRuns(cells, {
        costMs: (c) => oneRunMs(cfg, c.design, cfg.workloads.indexOf(planOf(c).workload), c.clients, true) * eta.ratio(c.design),
        timeLeftMs: () => cfg.budgetMs! - (performance.now() - t0),
        aborted: () => abortReason !== null,
        runOnce: (c) => {
          totalRuns++;
          return runCell(planOf(c), c, c.runs.length + 1);
        },
      });
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
  if (saturated > 0) {
    const eld = cfg.eventLoopDelayThresholdMs === undefined ? '' : ` or its event loop ran ≥ ${cfg.eventLoopDelayThresholdMs} ms late (p99)`;
    warn(`${saturated} of ${allRuns.length} runs flagged saturated: a loadgen client process used ≥ ${Math.round(cfg.saturationThreshold * 100)} % of a core${eld}, so loadgen may have set the pace (see each run's loadgen)`);
  }
  const noisy = allRuns.filter((r) => r.noise?.noisy).length;
  if (noisy > 0) warn(`${noisy} of ${allRuns.length} runs stayed noisy: other processes used more than ${Math.round((cfg.noiseThreshold ?? 0) * 100)} % of the machine's CPU even in their quietest attempt`);
  const overloaded = allRuns.filter((r) => r.open?.saturated).length;
  if (overloaded > 0) warn(`${overloaded} of ${allRuns.length} open-model runs flagged saturated: the server did not keep up with the target rate (throughput more than ${Math.round((cfg.open?.rateTolerance ?? 0) * 100)} % under the offered rate, or arrivals dropped)`);
  const generatorLimited = allRuns.filter((r) => r.open?.generatorLimited).length;
  if (generatorLimited > 0) warn(`${generatorLimited} of ${allRuns.length} open-model runs flagged generatorLimited: loadgen's pacing was late (p99 above ${cfg.open?.pacingLagThresholdMs} ms) or its CPU saturated, so loadgen may have set the pace`);
  const withErrors = allRuns.filter((r) => r.errors.total > 0 && r.complete).length;
  if (withErrors > 0) warn(`${withErrors} of ${allRuns.length} runs had errors (see each run's errors and errorSamples)`);

  const complete = abortReason === null && cells.length === plans.length && cells.every((c) => c.complete);
  const durationMs = round3(performance.now() - t0);
  emit({ type: 'end', complete, durationMs });
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: '@socketlab/loadgen', version: VERSION },
    complete,
    abortReason: complete ? null : (abortReason ?? `incomplete: some cells could not run${firstSkip ? `; the first because ${firstSkip}` : ''} (see warnings)`),
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    durationMs,
    scale,
    environment,
    config: cfg,
    cells,
    warnings,
    ...(budgetPlan ? { budget: finishBudget(budgetRecord(cfg, budgetPlan, requested), cells, cfg.runs) } : {}),
  };
}

/**
 * A recycled design gets a fresh server for every run, whatever serverLifecycle says, so that each run
 * starts from the same state: N spares started, none of which has served. A shared server's later runs
 * would find workers that served the run before, and extra spares that the run started (a spare check
 * that found the spares short during the burst) being retired; with the one-shot warm spares that came
 * before, the second and third runs of a shared server took 3–4 × its first (measured).
 */
function freshPerRun(design: DesignLabel): boolean {
  return designOf(design)?.recycled === true;
}

/**
 * Starts a server; on ServerStartError waits and tries again, SERVER_START_ATTEMPTS times in all (a
 * package being rebuilt at that moment has no dist/ for a second or two).
 */
async function startServerWithRetry(design: DesignLabel, index: number, cfg: ResolvedSweepConfig, clients: number, warn: (m: string) => void): Promise<ServerProcess> {
  const user = isBuiltIn(design) ? null : cfg.servers?.find((x) => x.name === design);
  if (user === undefined) throw new ServerStartError(`${design}: not a built-in design and not in config.servers`);
  for (let attempt = 1; ; attempt++) {
    try {
      return user ? await ServerProcess.startExternal(user, index, cfg) : await ServerProcess.start(design as DesignName, index, cfg, clients);
    } catch (err) {
      if (!(err instanceof ServerStartError) || attempt >= SERVER_START_ATTEMPTS) throw err;
      warn(`${design}: start attempt ${attempt} failed (${err.message.split('\n')[0]}); retrying in ${SERVER_START_RETRY_MS} ms`);
      await new Promise((r) => setTimeout(r, SERVER_START_RETRY_MS));
    }
  }
}
