import {
  SCHEMA_VERSION, checkRunConsistency, histogramRecord, mergeHistograms, round3, sumErrorCounts,
  type CellResult, type LoadgenUsage, type OpenRunResult, type ResolvedSweepConfig, type RunResult, type ShardPart, type SweepResults,
} from '@socketlab/results';
import { escapeForLog } from '@socketlab/protocol/server';
import { ShardMergeError } from '../errors.ts';
import { summarize } from '../sweep/aggregate.ts';
import { VERSION } from '../version.ts';
import { shareOf } from './contract.ts';

/**
 * The exact merge of a sharded sweep's results files into one that reads like any other: histograms
 * added bucket for bucket (HDR histograms are lossless to their precision, so the merged percentiles are
 * the ones a single process would have recorded), counts summed, per-client arrays concatenated in shard
 * order (shard i ran the client indices right after shard i − 1's), and each run's total measured from
 * the agreed release: max over shards of (its end − the agreed release). The per-client timelines (runs
 * of up to 1,000 clients) are concatenated the same way, shifted to the agreed release. Each shard's own loadgen CPU and
 * saturation are kept per run (`runs[].shards.parts`), beside their sums.
 */

/**
 * Config fields that may differ between shards: poolSize defaults to the machine's core count and does
 * not apply with a target (the only way to shard). Everything else must match exactly.
 */
const MACHINE_DEPENDENT: ReadonlySet<string> = new Set(['poolSize']);

/** The first place `a` and `b` differ, as `path: A vs B`, or null. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  const show = (v: unknown) => (v === undefined ? 'absent' : escapeForLog(JSON.stringify(v), 120));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return `${path}: ${show(a)} vs ${show(b)}`;
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return `${path}: ${show(a)} vs ${show(b)}`;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

/**
 * What differs between two shards' configurations (designs, workloads, N, runs, timeScale, target, …),
 * as `config.timeScale: 0.01 (shard 0) vs 0.02 (shard 2)`; null when they may be merged.
 */
export function configDifference(a: ResolvedSweepConfig, b: ResolvedSweepConfig, nameA: string, nameB: string): string | null {
  const strip = (c: ResolvedSweepConfig) => Object.fromEntries(Object.entries(c).filter(([k]) => !MACHINE_DEPENDENT.has(k)));
  const d = firstDifference(strip(a), strip(b), 'config');
  if (d === null) return null;
  const at = d.lastIndexOf(' vs ');
  return `${d.slice(0, at)} (${nameA}) vs ${d.slice(at + 4)} (${nameB})`;
}

/** One loadgen usage for the whole merged run: sums, with the ratios recomputed over the merged wall time. */
function mergeLoadgen(parts: readonly LoadgenUsage[], wallMs: number): LoadgenUsage {
  const sum = (f: (u: LoadgenUsage) => number) => parts.reduce((a, u) => a + f(u), 0);
  const usableCores = sum((u) => u.usableCores);
  const cpuTotalMs = sum((u) => u.cpuTotalMs);
  return {
    clientMode: parts[0]!.clientMode,
    processes: sum((u) => u.processes),
    usableCores,
    cpuUserMs: round3(sum((u) => u.cpuUserMs)),
    cpuSystemMs: round3(sum((u) => u.cpuSystemMs)),
    cpuTotalMs: round3(cpuTotalMs),
    parentCpuMs: round3(sum((u) => u.parentCpuMs)),
    processCpuMs: parts.flatMap((u) => u.processCpuMs),
    utilization: round3(cpuTotalMs / (Math.max(wallMs, 0.001) * usableCores)),
    maxProcessUtilization: Math.max(...parts.map((u) => u.maxProcessUtilization)),
    // Any shard's own saturation counts: the clients it ran were held back whatever the others did.
    saturated: parts.some((u) => u.saturated),
  };
}

/** Shifts a per-client time from the shard's own release to the agreed one. */
const shift = (values: readonly (number | null)[], byMs: number) => values.map((v) => (v === null ? null : round3(Math.max(0, v + byMs))));

/**
 * The open-model part of a merged run: counts summed, service time and pacing lag histograms added,
 * and the rates recomputed over the merged window, measured like a shard's from the agreed release to
 * the later of (the arrivals' end, the last reply) of any shard. The mean number in the system is each
 * shard's (mean × its window) — its area, exact to the rounding of the stored mean — over that window.
 */
function mergeOpen(runs: readonly RunResult[], err: readonly number[], config: ResolvedSweepConfig, where: string): OpenRunResult {
  const opens = runs.map((r, i) => {
    if (!r.open) throw new ShardMergeError(`${where}: shard ${i}'s run is not an open-model run, shard 0's is`);
    return r.open;
  });
  const o = config.open;
  if (!o) throw new ShardMergeError(`${where}: an open-model run in a closed-model configuration`);
  const sum = (f: (x: OpenRunResult) => number) => opens.reduce((a, x) => a + f(x), 0);
  const windowMs = round3(Math.max(...opens.map((x, i) => x.windowMs + err[i]!)));
  const completed = sum((x) => x.completed);
  const arrivals = sum((x) => x.arrivals);
  const dropped = sum((x) => x.dropped);
  const throughput = completed / (Math.max(windowMs, 0.001) / 1000);
  const offered = arrivals / (o.durationMs / 1000);
  return {
    targetRate: sum((x) => x.targetRate),
    offeredRate: round3(offered),
    throughputPerSec: round3(throughput),
    windowMs,
    processes: sum((x) => x.processes),
    seeds: opens.flatMap((x) => x.seeds),
    arrivals,
    sent: sum((x) => x.sent),
    sentLate: sum((x) => x.sentLate),
    dropped,
    unsent: sum((x) => x.unsent),
    replies: sum((x) => x.replies),
    completed,
    errorReplies: sum((x) => x.errorReplies),
    wrongValues: sum((x) => x.wrongValues),
    timeouts: sum((x) => x.timeouts),
    lost: sum((x) => x.lost),
    // Each shard's peak is its processes' largest queue: the merged peak keeps that meaning.
    peakQueued: Math.max(...opens.map((x) => x.peakQueued)),
    serviceUs: histogramRecord(mergeHistograms(opens.map((x) => x.serviceUs.encoded))),
    pacingLagUs: histogramRecord(mergeHistograms(opens.map((x) => x.pacingLagUs.encoded))),
    meanInSystem: round3(sum((x) => x.meanInSystem * x.windowMs) / Math.max(windowMs, 0.001)),
    saturated: dropped > 0 || throughput < (1 - o.rateTolerance) * offered,
    // A shard whose generator fell behind held its arrivals back, whatever the others did.
    generatorLimited: opens.some((x) => x.generatorLimited),
  };
}

function mergeRun(runs: readonly RunResult[], where: string, config: ResolvedSweepConfig): RunResult {
  const syncs = runs.map((r, i) => {
    if (!r.sync) throw new ShardMergeError(`${where}: shard ${i} has no sync record (not written by a sharded sweep)`);
    return r.sync;
  });
  const agreed = syncs[0]!.agreedReleaseAt;
  const other = syncs.findIndex((s) => s.agreedReleaseAt !== agreed);
  if (other >= 0) throw new ShardMergeError(`${where}: shard ${other} agreed on another release (${syncs[other]!.agreedReleaseAt}) than shard 0 (${agreed}); these files are not one sweep's`);
  const err = syncs.map((s) => s.releaseErrorMs);
  // On shard 0's clock each shard's end is (its release + its total); its release is agreed + its error.
  const complete = runs.every((r) => r.complete);
  const totals = runs.map((r, i) => (r.totalMs === null ? null : r.totalMs + err[i]!));
  const wallMs = round3(Math.max(...runs.map((r, i) => r.wallMs + err[i]!)));
  const histogram = mergeHistograms(runs.map((r) => r.tasks.latencyUs.encoded));
  const clients = runs.map((r) => r.clients);
  const noisiest = runs.filter((r) => r.noise).sort((a, b) => (b.noise!.foreignCpuShare ?? 0) - (a.noise!.foreignCpuShare ?? 0))[0]?.noise;
  const parts: ShardPart[] = runs.map((r, i) => ({ index: i, clients: r.clients.count, ...(r.open ? { targetRate: r.open.targetRate } : {}), totalMs: r.totalMs, sync: syncs[i]!, loadgen: r.loadgen }));
  const merged: RunResult = {
    index: runs[0]!.index,
    serverInstance: null,
    startedAt: new Date(agreed).toISOString(),
    complete,
    releaseAt: agreed,
    totalMs: !complete || totals.some((t) => t === null) ? null : round3(Math.max(...(totals as number[]))),
    wallMs,
    clients: {
      count: clients.reduce((a, c) => a + c.count, 0),
      completed: clients.reduce((a, c) => a + c.completed, 0),
      failed: clients.reduce((a, c) => a + c.failed, 0),
      connectMs: clients.flatMap((c, i) => shift(c.connectMs, err[i]!)),
      firstReplyMs: clients.flatMap((c, i) => shift(c.firstReplyMs, err[i]!)),
      completionMs: clients.flatMap((c, i) => shift(c.completionMs, err[i]!)),
      ...(clients.every((c) => c.timeline) ? { timeline: {
        // Signed, as loadgen records them (a reply can precede the release): shifted, never clamped.
        sentMs: clients.flatMap((c, i) => c.timeline!.sentMs.map((ts) => ts.map((t) => round3(t + err[i]!)))),
        replyMs: clients.flatMap((c, i) => c.timeline!.replyMs.map((ts) => ts.map((t) => round3(t + err[i]!)))),
        closeMs: clients.flatMap((c, i) => c.timeline!.closeMs.map((t) => (t === null ? null : round3(t + err[i]!)))),
      } } : {}),
    },
    tasks: {
      expected: runs.reduce((a, r) => a + r.tasks.expected, 0),
      sent: runs.reduce((a, r) => a + r.tasks.sent, 0),
      ok: runs.reduce((a, r) => a + r.tasks.ok, 0),
      latencyUs: histogramRecord(histogram),
    },
    errors: sumErrorCounts(runs.map((r) => r.errors)),
    errorSamples: runs.flatMap((r, i) => r.errorSamples.map((m) => `shard ${i}: ${m}`)).slice(0, 10),
    // A shard given --target-pid sampled the server's tree (every shard on the server's machine samples
    // the same one): the lowest such shard's usage stands for the run; none: null, as for any --target.
    server: runs.find((r) => r.server !== null)?.server ?? null,
    loadgen: mergeLoadgen(runs.map((r) => r.loadgen), wallMs),
    ...(runs[0]!.open ? { open: mergeOpen(runs, err, config, where) } : {}),
    shards: { startSkewMs: round3(Math.max(...err) - Math.min(...err)), parts },
  };
  if (noisiest) merged.noise = { ...noisiest, noisy: runs.some((r) => r.noise?.noisy === true) };
  return merged;
}

/**
 * Merges the results of every shard of one sharded sweep into one document. `files` are the shards'
 * documents (any order; `names` name them in errors). Throws ShardMergeError naming what is wrong: a file
 * that is not a shard's, shards of different sweeps, a missing or repeated shard, configurations that
 * differ, a shard whose share of N is not its integral share, cells or runs that do not line up. A run
 * whose parts disagree (a corrupt or swapped histogram, a per-client array of the wrong length) is
 * refused too, by @socketlab/results' checkRunConsistency (ResultsInconsistentError).
 */
export function mergeShardResults(files: readonly SweepResults[], names: readonly string[] = files.map((_, i) => `file ${i + 1}`)): SweepResults {
  if (files.length === 0) throw new ShardMergeError('nothing to merge: give every shard\'s results file');
  files.forEach((f, i) => {
    if (!f.shard) throw new ShardMergeError(`${names[i]} is not a shard's results (no "shard" field): ${f.merged ? 'it is already merged' : 'it was not written with --shard'}`);
  });
  const count = files[0]!.shard!.count;
  const sweepId = files[0]!.shard!.sweepId;
  files.forEach((f, i) => {
    if (f.shard!.sweepId !== sweepId) throw new ShardMergeError(`${names[i]} is shard ${f.shard!.index} of sweep ${escapeForLog(f.shard!.sweepId, 40)}, but ${names[0]} is of sweep ${escapeForLog(sweepId, 40)}: merge the shards of one sweep`);
    if (f.shard!.count !== count) throw new ShardMergeError(`${names[i]} says ${f.shard!.count} shards, ${names[0]} says ${count}`);
  });
  const byIndex: (SweepResults | undefined)[] = Array.from({ length: count });
  const nameOf: string[] = [];
  files.forEach((f, i) => {
    const at = f.shard!.index;
    if (!Number.isInteger(at) || at < 0 || at >= count) throw new ShardMergeError(`${names[i]} says it is shard ${at} of ${count}: shard indices run from 0 to ${count - 1}`);
    if (byIndex[at]) throw new ShardMergeError(`shard ${at} given twice: ${nameOf[at]} and ${names[i]}`);
    byIndex[at] = f;
    nameOf[at] = names[i]!;
  });
  const missing = byIndex.flatMap((f, i) => (f ? [] : [i]));
  if (missing.length > 0) throw new ShardMergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing: every shard's file is needed for an exact merge`);
  const shards = byIndex as SweepResults[];

  const base = shards[0]!;
  for (let i = 1; i < count; i++) {
    const d = configDifference(base.config, shards[i]!.config, nameOf[0]!, nameOf[i]!);
    if (d !== null) throw new ShardMergeError(`the shards ran different configurations: ${d}`);
  }

  const cells: CellResult[] = base.cells.map((cell, c) => {
    const parts = shards.map((s, i) => {
      const other = s.cells[c];
      const where = `cell ${c} (${cell.design} × ${cell.workload} × N=${cell.clients})`;
      if (!other || other.design !== cell.design || other.workload !== cell.workload || other.clients !== cell.clients) {
        throw new ShardMergeError(`${where}: ${nameOf[i]} has ${other ? `${other.design} × ${other.workload} × N=${other.clients}` : 'no such cell'} there`);
      }
      return other;
    });
    const runCount = Math.min(...parts.map((p) => p.runs.length));
    const runs = Array.from({ length: runCount }, (_, r) => {
      const where = `cell ${c} (${cell.design} × ${cell.workload} × N=${cell.clients}) run ${r}`;
      return mergeRun(
        parts.map((p, i) => {
          const run = p.runs[r]!;
          const share = shareOf(cell.clients, i, count).count;
          if (run.clients.count !== share) throw new ShardMergeError(`${where}: ${nameOf[i]} ran ${run.clients.count} clients; shard ${i}'s share of N=${cell.clients} over ${count} shards is ${share}`);
          if (cell.open) {
            const rate = shareOf(cell.open.rate, i, count).count;
            if (run.open?.targetRate !== rate) throw new ShardMergeError(`${where}: ${nameOf[i]} ran ${run.open ? `${run.open.targetRate} requests/s` : 'a closed-model run'}; shard ${i}'s share of ${cell.open.rate} requests/s over ${count} shards is ${rate}`);
          }
          checkRunConsistency(run, `${where} in ${nameOf[i]}`);
          return run;
        }),
        where,
        base.config,
      );
    });
    const merged: CellResult = {
      design: cell.design,
      workload: cell.workload,
      clients: cell.clients,
      complete: parts.every((p) => p.complete) && parts.every((p) => p.runs.length === runCount),
      servers: [],
      runs,
      summary: undefined as unknown as CellResult['summary'],
    };
    if (cell.model) merged.model = cell.model;
    if (cell.open) merged.open = cell.open;
    merged.summary = summarize(merged);
    return merged;
  });
  const longer = shards.findIndex((s) => s.cells.length !== base.cells.length);
  const warnings = shards.flatMap((s, i) => s.warnings.map((w) => `shard ${i}: ${w}`));
  if (longer >= 0) warnings.push(`the shards ran different numbers of cells (${shards.map((s) => s.cells.length).join(', ')}); the cells all of them ran are merged`);

  const skews = cells.flatMap((c) => c.runs.map((r) => r.shards!.startSkewMs));
  const complete = shards.every((s) => s.complete) && longer < 0;
  const started = shards.map((s) => Date.parse(s.startedAt));
  const ended = shards.map((s) => Date.parse(s.endedAt));
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: '@socketlab/loadgen', version: VERSION },
    complete,
    abortReason: complete ? null : (shards.map((s, i) => (s.abortReason ? `shard ${i}: ${s.abortReason}` : null)).find((x) => x !== null) ?? 'incomplete: the shards ran different numbers of cells'),
    startedAt: new Date(Math.min(...started)).toISOString(),
    endedAt: new Date(Math.max(...ended)).toISOString(),
    durationMs: round3(Math.max(...ended) - Math.min(...started)),
    scale: base.scale,
    // Shard 0's machine: the merged file has one environment; the others are named in merged.shards.
    environment: base.environment,
    config: base.config,
    cells,
    warnings,
    merged: {
      sweepId,
      count,
      maxStartSkewMs: skews.length ? Math.max(...skews) : null,
      shards: shards.map((s) => ({ index: s.shard!.index, host: s.shard!.host, node: s.shard!.node, startedAt: s.startedAt, durationMs: s.durationMs, complete: s.complete })),
    },
  };
}
