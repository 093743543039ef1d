import { loadavg } from 'node:os';
import { readMachineCpu, round3, ticksToMs, treesCpuTicks } from '@socketlab/results';

/**
 * Foreign CPU: what processes outside loadgen's process tree (its client processes, and the servers it
 * starts, which are its children) did with the machine's CPUs. From /proc through @socketlab/results'
 * one reader: the machine's busy ticks (/proc/stat) minus our tree's ticks (/proc/<pid>/stat, reaped
 * children included). An external --target server is not our child, so it counts as foreign unless it
 * is one of the `excluded` roots (--target-pid), as are the other shards of a sharded sweep running on
 * this machine: their work is the sweep's, not another user's.
 */
export interface CpuSnapshot {
  /** performance.now(), ms. */
  readonly at: number;
  readonly busyTicks: number;
  readonly totalTicks: number;
  /** Our tree's and every excluded tree's CPU so far, by root (`<pid>:<start time>`, treesCpuTicks). */
  readonly trees: ReadonlyMap<string, number>;
}

/** Process trees on this machine whose CPU is not foreign, beside loadgen's own. */
export interface NoiseExclusions {
  /** Their roots' pids. A pid that is gone (or that no process of that start time holds) contributes nothing. */
  readonly pids: readonly number[];
  /** Sharded sweeps: how many of them are the other shards on this machine (recorded as noise.cohostedShards). */
  readonly cohostedShards?: number;
}

/** The unsharded sweep's: nothing beside loadgen's own tree. */
export const NO_EXCLUSIONS: NoiseExclusions = Object.freeze({ pids: Object.freeze([]) });

/** Takes a snapshot of the machine's CPU and of our tree's and the `excluded` trees'; null without /proc. */
export function cpuSnapshot(excluded: readonly number[] = []): CpuSnapshot | null {
  const machine = readMachineCpu();
  if (machine === null) return null;
  // Ours first: a root inside our tree (a shard in this very process, in a test) then adds nothing twice.
  return { at: performance.now(), busyTicks: machine.busyTicks, totalTicks: machine.totalTicks, trees: treesCpuTicks([process.pid, ...excluded]) };
}

/** Foreign CPU between two snapshots: its share of the machine's capacity (0–1) and its time (ms). */
export function foreignCpu(a: CpuSnapshot | null, b: CpuSnapshot | null): { share: number | null; ms: number | null } {
  if (a === null || b === null) return { share: null, ms: null };
  const capacity = b.totalTicks - a.totalTicks;
  if (capacity <= 0) return { share: null, ms: null };
  // Only trees present at both ends: one that went away (or whose pid now names another process) in
  // between leaves its last ticks unknown, so its work in the window counts as foreign (over-, never under-stated).
  let ours = 0;
  for (const [root, ticks] of b.trees) {
    const before = a.trees.get(root);
    if (before !== undefined) ours += ticks - before;
  }
  // Per-process times and /proc/stat round differently (a tick here or there), so the difference can dip
  // below 0 on a quiet machine: clamp it, it is not negative work.
  const foreign = Math.max(0, b.busyTicks - a.busyTicks - ours);
  return { share: round3(Math.min(1, foreign / capacity)), ms: round3(ticksToMs(foreign)) };
}

/** Load averages rounded as `environment.loadAverage` is. */
export function loadAverages(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}

export interface QuietWait {
  /** Snapshot at the start of the last window measured: the start of the run's measurement if it is short. */
  readonly windowStart: CpuSnapshot | null;
  readonly waitedMs: number;
  readonly quiet: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (at most `maxWaitMs`) for a window of `windowMs` in which the foreign share is at most
 * `threshold`. Always measures at least one window (it is also the run's lead-in), unless `maxWaitMs` is 0
 * or there is no /proc (then `quiet` is false: nothing was looked for). Resolves early when `aborted()` turns true.
 */
export async function waitForQuiet(opts: { maxWaitMs: number; windowMs: number; threshold: number; aborted: () => boolean; excluded?: readonly number[] }): Promise<QuietWait> {
  const t0 = performance.now();
  let start = cpuSnapshot(opts.excluded);
  if (start === null || opts.maxWaitMs === 0) return { windowStart: start, waitedMs: 0, quiet: false };
  for (;;) {
    await sleep(opts.windowMs);
    const end = cpuSnapshot(opts.excluded);
    const { share } = foreignCpu(start, end);
    const waited = performance.now() - t0;
    if (share === null || share <= opts.threshold) return { windowStart: start, waitedMs: round3(waited), quiet: true };
    if (waited >= opts.maxWaitMs || opts.aborted()) return { windowStart: start, waitedMs: round3(waited), quiet: false };
    start = end;
  }
}
