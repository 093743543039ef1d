import { availableParallelism } from 'node:os';
import { InvalidOptionError } from '../errors.ts';
import { checkInteger, checkOneOf } from '../options.ts';
import type { FlagSpec } from './cli.ts';
import { MAX_SPARES_PER_CHECK } from './spares.ts';
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
   * Strategy `per-connection`: idle executors kept ready (Apache's MinSpareServers). This many are
   * started before the server listens; when clients take them, more are started off the clients' path,
   * once a second while the spares are short, 1, 2, 4 … at a time up to 32, never beyond `maxWorkers`.
   * Default 0: an executor is started when its client arrives (cold start, the lesson's design). At most
   * `maxWorkers`.
   */
  minSpares?: number;
  /**
   * Strategy `per-connection`: most idle executors kept (Apache's MaxSpareServers); an executor that
   * finishes a connection while this many are idle is retired. Default 10, or `minSpares` if more.
   */
  maxSpares?: number;
  /**
   * Strategy `per-connection`: connections one executor serves, one after the other, before it is
   * retired (Apache's MaxConnectionsPerChild); 0 = no limit. Default 1: each executor serves one client
   * and goes (the lesson's design). Above 1 the executors are recycled: one serves a connection for its
   * whole life, then goes back to the spares (`maxSpares`) for the next client.
   */
  maxConnectionsPerWorker?: number;
}

export type ResolvedExecutorServerOptions = Readonly<
  ResolvedCommonServerOptions & { strategy: ExecutorStrategy; poolSize: number; maxWorkers: number; minSpares: number; maxSpares: number; maxConnectionsPerWorker: number }
>;

export const DEFAULT_EXECUTOR_OPTIONS = Object.freeze({
  strategy: 'per-connection' as ExecutorStrategy,
  poolSize: availableParallelism(), // executors (threads or processes)
  minSpares: 0 as number, // idle executors kept ready (0 = cold start)
  maxSpares: 10 as number, // idle executors kept at most (raised to minSpares if that is more); Apache's default
  maxConnectionsPerWorker: 1 as number, // connections per executor before it is retired (0 = no limit; 1 = one-shot)
});

/** The options that shape a per-connection design's executors (see Spares), and only its. */
const SPARE_KEYS = ['minSpares', 'maxSpares', 'maxConnectionsPerWorker'] as const;

/** Throws unless `strategy` is `per-connection` when any spare option (SPARE_KEYS) is given. */
export function checkSpareOptionsApply(given: Record<string, unknown>, strategy: string): void {
  const key = SPARE_KEYS.find((k) => given[k] !== undefined);
  if (key !== undefined && strategy !== 'per-connection') throw new InvalidOptionError(`${key} applies to strategy per-connection only (got strategy ${strategy})`);
}

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
    minSpares: (name, v) => checkInteger(name, v, 0, 65_536),
    maxSpares: (name, v) => checkInteger(name, v, 0, 65_536),
    maxConnectionsPerWorker: (name, v) => checkInteger(name, v, 0, 2_147_483_647),
  };
  const resolved = resolveServerOptions<typeof base & X>(options, { ...base, ...(own?.defaults as X) }, { ...checks, ...own?.check } as { [K in keyof (typeof base & X)]: (name: string, value: unknown) => (typeof base & X)[K] });
  const given = (options ?? {}) as Record<string, unknown>;
  checkSpareOptionsApply(given, resolved.strategy);
  // Spares count towards the worker cap.
  if (resolved.minSpares > resolved.maxWorkers) throw new InvalidOptionError(`minSpares must be at most maxWorkers (${resolved.maxWorkers}), got ${resolved.minSpares}`);
  if (resolved.minSpares <= resolved.maxSpares) return resolved;
  if (given.maxSpares !== undefined) throw new InvalidOptionError(`maxSpares must be at least minSpares (${resolved.minSpares}), got ${resolved.maxSpares}`);
  return Object.freeze({ ...resolved, maxSpares: resolved.minSpares });
}

/** The `--strategy`, `--pool-size`, `--max-workers` and spare flags, worded for `unit` ('thread' or 'process'). */
export function executorFlags(unit: 'thread' | 'process', maxWorkers: number): FlagSpec[] {
  const plural = unit === 'thread' ? 'threads' : 'processes';
  const d = DEFAULT_EXECUTOR_OPTIONS;
  return [
    { flag: '--strategy', key: 'strategy', type: 'string', choices: EXECUTOR_STRATEGIES, help: `a ${unit} per client, or a fixed pool of ${plural}`, default: d.strategy },
    { flag: '--pool-size', key: 'poolSize', type: 'int', help: `${plural} in the pool (strategy pool)`, default: `${d.poolSize} (one per core)` },
    { flag: '--max-workers', key: 'maxWorkers', type: 'int', help: `most ${plural} at once (strategy per-connection), idle spares included; more clients wait in arrival order`, default: maxWorkers },
    { flag: '--min-spares', key: 'minSpares', type: 'int', help: `idle ${plural} kept ready (strategy per-connection): started before listening, and again, 1, 2, 4 … per second up to ${MAX_SPARES_PER_CHECK}, while fewer are idle; 0 = start one per client on arrival`, default: d.minSpares },
    { flag: '--max-spares', key: 'maxSpares', type: 'int', help: `most idle ${plural} kept (strategy per-connection); one that finishes a connection beyond it is retired`, default: `${d.maxSpares}, or --min-spares if more` },
    { flag: '--max-connections-per-worker', key: 'maxConnectionsPerWorker', type: 'int', help: `connections one ${unit} serves, one after the other, before it is retired (strategy per-connection); 1 = one client each (the lesson's); 0 = no limit`, default: d.maxConnectionsPerWorker },
  ];
}
