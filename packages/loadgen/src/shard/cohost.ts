import { readFileSync, readlinkSync } from 'node:fs';
import { readProcStat } from '@socketlab/results';

/**
 * Co-hosted shards: shards of one sweep that run on the same machine (several Slurm tasks on one node,
 * the CI's one-machine cluster, shards started by hand side by side). Each one's process tree is the
 * sweep's own work, not another user's, so the others leave it out of their foreign CPU (sweep/noise.ts).
 * Each shard tells the rendezvous its pid and its machine key; shard 0 hands every shard the pids of the
 * others with the same key.
 */

/** The key of a machine that could not be identified: never co-hosted with anything. */
export const UNKNOWN_MACHINE = 'unknown';

/**
 * This process's machine key: the kernel's boot id and the pid namespace, `<boot_id>/pid:[<inode>]`. Two
 * processes have the same key exactly when a pid means the same process to both, i.e. when each can read
 * the other's /proc/<pid> entries: one boot of one kernel (a host or VM; containers share it) and one pid
 * namespace within it (namespace inodes are unique per boot). The host name is no such key: containers
 * and pods on one host have their own, and clones of one VM image may share one. UNKNOWN_MACHINE where
 * /proc does not say (not Linux, /proc not mounted).
 */
export function machineKey(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const ns = readlinkSync('/proc/self/ns/pid');
    return boot !== '' && /^pid:\[\d+\]$/.test(ns) ? `${boot}/${ns}` : UNKNOWN_MACHINE;
  } catch {
    return UNKNOWN_MACHINE;
  }
}

/** What a shard said about where it runs (the rendezvous hello's `pid` and `machine`; absent from older shards). */
export interface ShardPlace {
  readonly index: number;
  readonly pid?: number;
  readonly machine?: string;
}

/**
 * The pids of the shards other than `index` that run on `index`'s machine, in shard order. None when
 * `index`'s key is unknown or absent (a shard that could not say where it runs shares nothing).
 */
export function cohostedPids(shards: readonly ShardPlace[], index: number): number[] {
  const self = shards.find((s) => s.index === index);
  const key = self?.machine;
  if (key === undefined || key === UNKNOWN_MACHINE) return [];
  return [...shards]
    .filter((s) => s.index !== index && s.machine === key && s.pid !== undefined)
    .sort((a, b) => a.index - b.index)
    .map((s) => s.pid!);
}

/**
 * The co-hosted pids this shard can actually see (/proc/<pid>/stat readable): one hidden from it (a /proc
 * mounted with hidepid, a key that lied) would be left out of nothing, so it is not counted as excluded.
 */
export function visiblePids(pids: readonly number[]): number[] {
  return pids.filter((pid) => readProcStat(pid) !== null);
}
