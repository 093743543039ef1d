import { availableParallelism } from 'node:os';
import { InvalidOptionError } from '../errors.ts';
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
  /**
   * Warm spares, strategy `per-connection`: this many executors are started before the server listens,
   * each serves exactly one client and then goes, and each one taken is replaced in the background,
   * never beyond `maxWorkers`. Default 0: an executor is started when its client arrives (cold start,
   * the lesson's design). At most `maxWorkers`.
   */
  spares?: number;
}

export type ResolvedExecutorServerOptions = Readonly<ResolvedCommonServerOptions & { strategy: ExecutorStrategy; poolSize: number; maxWorkers: number; spares: number }>;

export const DEFAULT_EXECUTOR_OPTIONS = Object.freeze({
  strategy: 'per-connection' as ExecutorStrategy,
  poolSize: availableParallelism(), // executors (threads or processes)
  spares: 0 as number, // executors started ahead of their clients (0 = cold start)
});

/**
 * Resolves the executor options; `maxWorkers` is the design's own default (see each package). A design
 * with options of its own passes their defaults and validators as `own` (server-mt's `socketIo`).
 */
export function resolveExecutorServerOptions<X extends object = Record<never, never>>(
  options: ExecutorServerOptions | undefined,
  defaults: { maxWorkers: number },
  own?: { defaults: X; check: { [K in keyof X]: (name: string, value: unknown) => X[K] } },
): ResolvedExecutorServerOptions & Readonly<X> {
  const base = { ...DEFAULT_EXECUTOR_OPTIONS, maxWorkers: defaults.maxWorkers };
  const checks: { [K in keyof typeof base]: (name: string, value: unknown) => (typeof base)[K] } = {
    strategy: (name, v) => checkOneOf(name, v, EXECUTOR_STRATEGIES),
    poolSize: (name, v) => checkInteger(name, v, 1, 1024),
    maxWorkers: (name, v) => checkInteger(name, v, 1, 65_536),
    spares: (name, v) => checkInteger(name, v, 0, 65_536),
  };
  const resolved = resolveServerOptions<typeof base & X>(options, { ...base, ...(own?.defaults as X) }, { ...checks, ...own?.check } as { [K in keyof (typeof base & X)]: (name: string, value: unknown) => (typeof base & X)[K] });
  // Spares count towards the worker cap, and a pool's executors are already warm.
  if (resolved.spares > resolved.maxWorkers) throw new InvalidOptionError(`spares must be at most maxWorkers (${resolved.maxWorkers}), got ${resolved.spares}`);
  if (resolved.spares > 0 && resolved.strategy !== 'per-connection') throw new InvalidOptionError(`spares applies to strategy per-connection only (got strategy ${resolved.strategy})`);
  return resolved;
}

/** The `--strategy`, `--pool-size`, `--max-workers` and `--spares` flags, worded for `unit` ('thread' or 'process'). */
export function executorFlags(unit: 'thread' | 'process', maxWorkers: number): FlagSpec[] {
  const plural = unit === 'thread' ? 'threads' : 'processes';
  return [
    { flag: '--strategy', key: 'strategy', type: 'string', choices: EXECUTOR_STRATEGIES, help: `a ${unit} per client, or a fixed pool of ${plural}`, default: DEFAULT_EXECUTOR_OPTIONS.strategy },
    { flag: '--pool-size', key: 'poolSize', type: 'int', help: `${plural} in the pool (strategy pool)`, default: `${DEFAULT_EXECUTOR_OPTIONS.poolSize} (one per core)` },
    { flag: '--max-workers', key: 'maxWorkers', type: 'int', help: `most ${plural} at once (strategy per-connection); more clients wait in arrival order`, default: maxWorkers },
    { flag: '--spares', key: 'spares', type: 'int', help: `${plural} started ahead of their clients (strategy per-connection), each serving one client, replaced in the background; 0 = start one per client on arrival`, default: DEFAULT_EXECUTOR_OPTIONS.spares },
  ];
}
