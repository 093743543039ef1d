import { availableParallelism } from 'node:os';
import { checkInteger, checkOneOf } from '../options.ts';
import type { FlagSpec } from './cli.ts';
import { resolveServerOptions, type CommonServerOptions, type ResolvedCommonServerOptions } from './options.ts';

/**
 * The options server-mp and server-mt share: which executor (a process or a thread) serves a client,
 * one per connection or a fixed pool. Written once here; each design decides what an executor is.
 */
export type ExecutorStrategy = 'per-connection' | 'pool';

export const EXECUTOR_STRATEGIES: readonly ExecutorStrategy[] = ['per-connection', 'pool'];

export interface ExecutorServerOptions extends CommonServerOptions {
  /** `per-connection` (default, the lesson's design): one executor per client. `pool`: `poolSize` shared executors. */
  strategy?: ExecutorStrategy;
  /** Executors in the pool (strategy `pool`). Default: one per core (`os.availableParallelism()`). */
  poolSize?: number;
  /**
   * Most executors alive at once with strategy `per-connection`; further clients wait, connected and
   * unanswered, in arrival order (up to `backlog`, then SOCKETLAB_ERR_BACKLOG_FULL). The default is the
   * design's (server-mp: processes, server-mt: threads), chosen from the measured memory of one.
   */
  maxWorkers?: number;
}

export type ResolvedExecutorServerOptions = Readonly<ResolvedCommonServerOptions & { strategy: ExecutorStrategy; poolSize: number; maxWorkers: number }>;

export const DEFAULT_EXECUTOR_OPTIONS = Object.freeze({
  strategy: 'per-connection' as ExecutorStrategy,
  poolSize: availableParallelism(), // executors (threads or processes)
});

/** Resolves the executor options; `maxWorkers` is the design's own default (see each package). */
export function resolveExecutorServerOptions(options: ExecutorServerOptions | undefined, defaults: { maxWorkers: number }): ResolvedExecutorServerOptions {
  return resolveServerOptions(options, { ...DEFAULT_EXECUTOR_OPTIONS, maxWorkers: defaults.maxWorkers }, {
    strategy: (name, v) => checkOneOf(name, v, EXECUTOR_STRATEGIES),
    poolSize: (name, v) => checkInteger(name, v, 1, 1024),
    maxWorkers: (name, v) => checkInteger(name, v, 1, 65_536),
  });
}

/** The `--strategy`, `--pool-size` and `--max-workers` flags, worded for `unit` ('thread' or 'process'). */
export function executorFlags(unit: 'thread' | 'process', maxWorkers: number): FlagSpec[] {
  const plural = unit === 'thread' ? 'threads' : 'processes';
  return [
    { flag: '--strategy', key: 'strategy', type: 'string', choices: EXECUTOR_STRATEGIES, help: `a ${unit} per client, or a fixed pool of ${plural}`, default: DEFAULT_EXECUTOR_OPTIONS.strategy },
    { flag: '--pool-size', key: 'poolSize', type: 'int', help: `${plural} in the pool (strategy pool)`, default: `${DEFAULT_EXECUTOR_OPTIONS.poolSize} (one per core)` },
    { flag: '--max-workers', key: 'maxWorkers', type: 'int', help: `most ${plural} at once (strategy per-connection); more clients wait in arrival order`, default: maxWorkers },
  ];
}
