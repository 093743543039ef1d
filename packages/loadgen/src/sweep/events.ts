import type { DesignLabel, ResolvedSweepConfig, RunResult, ShardSync } from '@socketlab/results';
import type { Share } from '../shard/contract.ts';

/** Where a run sits in the sweep. `index` and `run` count from 1. */
export interface RunPosition {
  index: number;
  total: number;
  design: DesignLabel;
  workload: string;
  clients: number;
  run: number;
  runs: number;
  /** Open model: the cell's target rate, requests/s (its `clients` is the connection count). */
  rate?: number;
}

/** Progress of a sweep, for progress bars and logs. Times in ms. */
export type SweepProgressEvent =
  /** `budget`: the time budget's plan in words (budget.ts), when the sweep has one. */
  | { type: 'start'; totalRuns: number; estimatedMs: number; scale: string; config: ResolvedSweepConfig; budget?: string }
  | { type: 'run-start'; position: RunPosition }
  | { type: 'run-end'; position: RunPosition; totalMs: number | null; errors: number; saturated: boolean; noisy: boolean; elapsedMs: number; remainingMs: number }
  | { type: 'warning'; message: string }
  | { type: 'end'; complete: boolean; durationMs: number };

export interface SweepHooks {
  /** Called for every progress event (exceptions it throws are ignored). */
  onProgress?: (event: SweepProgressEvent) => void;
  /** Aborting stops the sweep cleanly: the current run's clients give up, its server is stopped, and the
   * partial results come back with `complete: false` and `abortReason` (the signal's reason, if a string). */
  signal?: AbortSignal;
  /** Run as one shard of a sharded sweep (shard/session.ts): this shard's share of each run's clients,
   * released at the start agreed with the other shards. */
  shard?: ShardHooks;
  /** With a `target`: the pid of the target server's process on this machine (`--target-pid`). Its process
   * tree is sampled like a server loadgen started (each run's `server`) and is not foreign CPU. */
  targetPid?: number;
}

/**
 * What a sweep needs to run as one shard (SweepHooks.shard): its part of each run's clients, the
 * barrier before each release, and what to record about that release.
 */
export interface ShardHooks {
  /** This shard's index, from 0, and the shard count (the open model splits its rate and connections by them). */
  readonly index: number;
  readonly count: number;
  /** This shard's contiguous share of a run of `clients` clients. */
  share(clients: number): Share;
  /** Before a release, once this shard's clients are ready: resolves with the local time (a now() value) to release at. */
  release(position: RunPosition): Promise<number>;
  /** A barrier named `label` (not a run's: the open model's capacity probe): the local time to start at. */
  start(label: string): Promise<number>;
  /** A barrier that gathers numbers: resolves with every shard's `values`, by shard index. */
  gather(label: string, values: readonly number[]): Promise<number[][]>;
  /** After a run: how its release lined up with the agreed one. */
  sync(run: RunResult): ShardSync | undefined;
  /** The pids of the other shards on this machine that this one can see: not foreign CPU (sweep/noise.ts). Absent: none. */
  cohosted?(): readonly number[];
}
