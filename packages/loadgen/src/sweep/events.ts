import type { DesignLabel, ResolvedSweepConfig } from '@socketlab/results';
import type { ShardHooks } from '../shard/session.ts';

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
  | { type: 'start'; totalRuns: number; estimatedMs: number; scale: string; config: ResolvedSweepConfig }
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
