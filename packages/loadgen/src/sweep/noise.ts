import { loadavg } from 'node:os';
import { readMachineCpu, round3, ticksToMs, treeCpuTicks } from '@socketlab/results';

/**
 * Foreign CPU: what processes outside loadgen's process tree (its client processes, and the servers it
 * starts, which are its children) did with the machine's CPUs. From /proc through @socketlab/results'
 * one reader: the machine's busy ticks (/proc/stat) minus our tree's ticks (/proc/<pid>/stat, reaped
 * children included). An external --target server is not our child, so it counts as foreign.
 */
export interface CpuSnapshot {
  /** performance.now(), ms. */
  readonly at: number;
  readonly busyTicks: number;
  readonly totalTicks: number;
  readonly ourTicks: number;
}

/** Takes a snapshot of the machine's and our tree's CPU; null without /proc. */
export function cpuSnapshot(root = process.pid): CpuSnapshot | null {
  const machine = readMachineCpu();
  if (machine === null) return null;
  return { at: performance.now(), busyTicks: machine.busyTicks, totalTicks: machine.totalTicks, ourTicks: treeCpuTicks(root) };
}

/** Foreign CPU between two snapshots: its share of the machine's capacity (0–1) and its time (ms). */
export function foreignCpu(a: CpuSnapshot | null, b: CpuSnapshot | null): { share: number | null; ms: number | null } {
  if (a === null || b === null) return { share: null, ms: null };
  const capacity = b.totalTicks - a.totalTicks;
  if (capacity <= 0) return { share: null, ms: null };
  // Per-process times and /proc/stat round differently (a tick here or there), so the difference can dip
  // below 0 on a quiet machine: clamp it, it is not negative work.
  const foreign = Math.max(0, b.busyTicks - a.busyTicks - (b.ourTicks - a.ourTicks));
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
export async function waitForQuiet(opts: { maxWaitMs: number; windowMs: number; threshold: number; aborted: () => boolean }): Promise<QuietWait> {
  const t0 = performance.now();
  let start = cpuSnapshot();
  if (start === null || opts.maxWaitMs === 0) return { windowStart: start, waitedMs: 0, quiet: false };
  for (;;) {
    await sleep(opts.windowMs);
    const end = cpuSnapshot();
    const { share } = foreignCpu(start, end);
    const waited = performance.now() - t0;
    if (share === null || share <= opts.threshold) return { windowStart: start, waitedMs: round3(waited), quiet: true };
    if (waited >= opts.maxWaitMs || opts.aborted()) return { windowStart: start, waitedMs: round3(waited), quiet: false };
    start = end;
  }
}
