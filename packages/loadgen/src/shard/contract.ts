import { hostname } from 'node:os';
import { InvalidOptionError } from '@socketlab/protocol';

/**
 * The shard contract: which part of a sweep one loadgen process runs when several run it together (on
 * Slurm, Kubernetes, or by hand). Independent of the engine: a shard is `index` of `count`, from a flag
 * or from the engine's environment, and takes an integral share of the clients (closed model) or of
 * the connections and the arrival rate, in whole requests/s (open model). Shares differ by at most one unit and add up exactly to the total, and
 * shard i's clients are the indices right after shard i-1's, so concatenating the shards' per-client
 * arrays in shard order gives the array one process would have written.
 */

/** Who this shard is. `node` is Slurm's node name (SLURMD_NODENAME) when present. */
export interface ShardIdentity {
  readonly index: number;
  readonly count: number;
  /** Where the identity came from: `flag` (--shard i/n), `slurm`, or `k8s` (an Indexed Job). */
  readonly source: 'flag' | 'slurm' | 'k8s';
  readonly host: string;
  readonly node: string | null;
}

/** Largest shard count: far beyond any cluster a closed-model sweep of at most 10 000 clients needs. */
export const MAX_SHARDS = 1024;

/** One shard's part of an integer total: `count` units starting at unit `first`. */
export interface Share {
  readonly count: number;
  readonly first: number;
}

/**
 * Shard `index`'s share of `total` whole units (clients): the first `total mod count` shards get one
 * more. Sizes differ by at most 1 and sum to `total` exactly; shares are contiguous and in shard order.
 */
export function shareOf(total: number, index: number, count: number): Share {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be an integer >= 0 (got ${total})`);
  checkIndex(index, count);
  return { count: integralShare(total, count, index), first: index * Math.floor(total / count) + Math.min(index, total % count) };
}

/**
 * Part `index` of `total` split into `parts` whole shares that differ by at most one and add up to
 * `total` (the first `total mod parts` parts get one more): 10 over 3 → 4, 3, 3. The one split of
 * socketlab's: shards (shareOf) and, within a shard, its client processes (open/schedule.ts). Unchecked.
 */
export function integralShare(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

function checkIndex(index: number, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) throw new RangeError(`shard count must be an integer between 1 and ${MAX_SHARDS} (got ${count})`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`shard index must be an integer between 0 and ${count - 1} (got ${index})`);
}

const INDEX_OF_COUNT = /^(\d+)\/(\d+)$/;

function identity(index: number, count: number, source: ShardIdentity['source'], flag: string, env: NodeJS.ProcessEnv): ShardIdentity {
  if (count < 1 || count > MAX_SHARDS) throw new InvalidOptionError(`${flag}: the shard count must be between 1 and ${MAX_SHARDS} (got ${count})`);
  if (index >= count) throw new InvalidOptionError(`${flag}: the shard index must be below the count, from 0 to ${count - 1} (got ${index})`);
  return Object.freeze({ index, count, source, host: hostname(), node: env.SLURMD_NODENAME || null });
}

function envInteger(env: NodeJS.ProcessEnv, name: string, flag: string, what: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') throw new InvalidOptionError(`${flag}: ${name} is not set (${what})`);
  if (!/^\d+$/.test(raw)) throw new InvalidOptionError(`${flag}: ${name} must be a non-negative integer (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

/**
 * Parses `--shard`: `i/n` (shard i of n, from 0), `slurm` (SLURM_PROCID of SLURM_NTASKS: one shard per
 * Slurm task) or `k8s/n` (a Kubernetes Indexed Job: JOB_COMPLETION_INDEX of n, since the Job's
 * completions are not in the pod's environment). Throws InvalidOptionError naming `flag`.
 */
export function parseShard(raw: string, flag = '--shard', env: NodeJS.ProcessEnv = process.env): ShardIdentity {
  const explicit = INDEX_OF_COUNT.exec(raw);
  if (explicit) return identity(Number(explicit[1]), Number(explicit[2]), 'flag', flag, env);
  if (raw === 'slurm') {
    const count = envInteger(env, 'SLURM_NTASKS', flag, 'run under srun, or give --shard i/n');
    return identity(envInteger(env, 'SLURM_PROCID', flag, 'run under srun, or give --shard i/n'), count, 'slurm', flag, env);
  }
  const k8s = /^k8s\/(\d+)$/.exec(raw);
  if (k8s) return identity(envInteger(env, 'JOB_COMPLETION_INDEX', flag, 'run in an Indexed Job, or give --shard i/n'), Number(k8s[1]), 'k8s', flag, env);
  throw new InvalidOptionError(`${flag} must be i/n (e.g. 0/4), slurm, or k8s/n (got ${JSON.stringify(raw)})`);
}
