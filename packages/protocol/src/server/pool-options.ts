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
}

export type ResolvedExecutorServerOptions = Readonly<ResolvedCommonServerOptions & { strategy: ExecutorStrategy; poolSize: number }>;

export const DEFAULT_EXECUTOR_OPTIONS = Object.freeze({
  strategy: 'per-connection' as ExecutorStrategy,
  poolSize: availableParallelism(), // executors (threads or processes)
});

export function resolveExecutorServerOptions(options?: ExecutorServerOptions): ResolvedExecutorServerOptions {
  return resolveServerOptions(options, { ...DEFAULT_EXECUTOR_OPTIONS }, {
    strategy: (name, v) => checkOneOf(name, v, EXECUTOR_STRATEGIES),
    poolSize: (name, v) => checkInteger(name, v, 1, 1024),
  });
}

/** The `--strategy` and `--pool-size` flags, worded for `unit` ('thread' or 'process'). */
export function executorFlags(unit: 'thread' | 'process'): FlagSpec[] {
  const plural = unit === 'thread' ? 'threads' : 'processes';
  return [
    { flag: '--strategy', key: 'strategy', type: 'string', choices: EXECUTOR_STRATEGIES, help: `a ${unit} per client, or a fixed pool of ${plural}`, default: DEFAULT_EXECUTOR_OPTIONS.strategy },
    { flag: '--pool-size', key: 'poolSize', type: 'int', help: `${plural} in the pool (strategy pool)`, default: `${DEFAULT_EXECUTOR_OPTIONS.poolSize} (one per core)` },
  ];
}
