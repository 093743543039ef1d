import type { ResolvedSweepConfig, RunResult } from '@socketlab/results';
import { DEFAULT_SWEEP_OPTIONS } from '../options.ts';
import type { SweepHooks } from './events.ts';
import { NO_EXCLUSIONS, cpuSnapshot, foreignCpu, loadAverages, waitForQuiet, type NoiseExclusions } from './noise.ts';

/**
 * Runs one run up to 1 + noiseRetries times and keeps the quietest attempt: each attempt first waits
 * (bounded) for a quiet window, then runs, then reads how much CPU other processes used meanwhile. An
 * attempt at or under the threshold ends the loop; if none is, the quietest is kept and flagged `noisy`.
 * Configs recorded before loadgen 0.3 lack the noise settings: loadgen's defaults apply to them.
 * `exclude`: other process trees whose CPU is not foreign (co-hosted shards, a --target-pid server).
 */
export async function measureQuietest(cfg: ResolvedSweepConfig, aborted: () => boolean, attempt: () => Promise<RunResult>, exclude: NoiseExclusions = NO_EXCLUSIONS): Promise<RunResult> {
  const d = DEFAULT_SWEEP_OPTIONS;
  const threshold = cfg.noiseThreshold ?? d.noiseThreshold;
  const retries = cfg.noiseRetries ?? d.noiseRetries;
  const windowMs = cfg.quietWindowMs ?? d.quietWindowMs;
  const shares: (number | null)[] = [];
  let best: RunResult | null = null;
  for (let i = 0; i <= retries; i++) {
    const wait = await waitForQuiet({ maxWaitMs: cfg.quietWaitMs ?? d.quietWaitMs, windowMs, threshold, aborted, excluded: exclude.pids });
    const loadAverageStart = loadAverages();
    const start = cpuSnapshot(exclude.pids);
    const run = await attempt();
    const end = cpuSnapshot(exclude.pids);
    // A run shorter than a window reads too few clock ticks on its own: measure it with its lead-in.
    const from = start !== null && end !== null && end.at - start.at < windowMs && wait.windowStart !== null ? wait.windowStart : start;
    const foreign = foreignCpu(from, end);
    shares.push(foreign.share);
    const noise = {
      foreignCpuShare: foreign.share,
      foreignCpuMs: foreign.ms,
      windowMs: from !== null && end !== null ? Math.round((end.at - from.at) * 1000) / 1000 : run.wallMs,
      loadAverageStart,
      loadAverageEnd: loadAverages(),
      quietWaitMs: wait.waitedMs,
      quiet: wait.quiet,
      attempts: 0,
      attemptShares: [] as (number | null)[],
      noisy: foreign.share !== null && foreign.share > threshold,
      ...(exclude.cohostedShards === undefined ? {} : { cohostedShards: exclude.cohostedShards }),
    };
    const candidate: RunResult = { ...run, noise };
    if (best === null || (foreign.share !== null && (best.noise!.foreignCpuShare ?? Infinity) > foreign.share)) best = candidate;
    if (!noise.noisy || aborted() || !run.complete) break;
  }
  best!.noise!.attempts = shares.length;
  best!.noise!.attemptShares = shares;
  return best!;
}

/**
 * The process trees a sweep's hooks say are not foreign: the other shards on this machine (a sharded
 * sweep; their count is recorded in each run's noise) and the --target server's (`targetPid`). Read once,
 * when the sweep starts: the shards are known from the rendezvous by then, and a tree that goes away
 * later simply contributes nothing.
 */
export function noiseExclusions(hooks: Pick<SweepHooks, 'shard' | 'targetPid'>): NoiseExclusions {
  const cohosted = hooks.shard?.cohosted?.() ?? [];
  const pids = hooks.targetPid === undefined ? cohosted : [...cohosted, hooks.targetPid];
  if (hooks.shard === undefined && pids.length === 0) return NO_EXCLUSIONS;
  return { pids, ...(hooks.shard === undefined ? {} : { cohostedShards: cohosted.length }) };
}
