import { checkBoolean, checkInteger, checkKnownKeys, checkOneOf, checkString, deepFreeze } from '../options.ts';
import { resolveLimits, type Limits } from '../limits.ts';
import type { LogFormat } from './logger.ts';

/** Options every server design takes. Design-specific options (mode, strategy, poolSize) come on top. */
export interface CommonServerOptions {
  /** Address to listen on. Default `127.0.0.1`: never all interfaces unless asked. */
  host?: string;
  /** Port; 0 picks a free one (read it back from `server.address`). Default 0. */
  port?: number;
  /** listen() backlog; for the iterative server also the bound of its wait queue. Default 511. */
  backlog?: number;
  /** Most connections open at once (served or waiting); beyond it: one ERR and close. Default 16384. */
  maxConnections?: number;
  /**
   * Close a connection that has completed no request (and has none in flight) for this long, in ms;
   * bytes that do not complete a request do not count. 0 disables. Default 30000 (30 s).
   */
  idleTimeoutMs?: number;
  /**
   * Once the server has ended a connection (EXIT, a stream error, the idle timeout, shutdown), how long
   * it keeps reading and discarding while it waits for the peer to close, before it cuts the socket, in ms.
   * Default 2000 (2 s).
   */
  lingerMs?: number;
  /** On close(), how long in-flight tasks may take to finish before connections are cut, in ms. Default 10000. */
  drainTimeoutMs?: number;
  /** Protocol limits (see docs/protocol.md). */
  limits?: Partial<Limits>;
  /** `silent` (library default), `text` (the lesson's lines; CLI default) or `json` (one object per line). */
  log?: LogFormat;
  /** Log only lifecycle events (listening, shutdown, worker crashes), not each connection and request. Default false. */
  quiet?: boolean;
}

export interface ResolvedCommonServerOptions {
  host: string;
  port: number;
  backlog: number;
  maxConnections: number;
  idleTimeoutMs: number;
  lingerMs: number;
  drainTimeoutMs: number;
  limits: Readonly<Limits>;
  log: LogFormat;
  quiet: boolean;
}

export const DEFAULT_COMMON_SERVER_OPTIONS = Object.freeze({
  host: '127.0.0.1',
  port: 0, // any free port
  backlog: 511, // connections; Node's own default
  maxConnections: 16_384, // connections
  // 30 s: time for a person typing at `nc`, while a slowloris client (bytes that never complete a
  // request) holds its connection, and its process or thread, for no longer (docs/protocol.md).
  idleTimeoutMs: 30_000,
  lingerMs: 2_000, // 2 s after the server's FIN, for the peer's
  drainTimeoutMs: 10_000, // 10 s
  log: 'silent' as LogFormat,
  quiet: false,
});

export const COMMON_OPTION_KEYS = ['host', 'port', 'backlog', 'maxConnections', 'idleTimeoutMs', 'lingerMs', 'drainTimeoutMs', 'limits', 'log', 'quiet'] as const;

/** Validates the common options (each message names the option) and fills in defaults. */
export function resolveCommonOptions(input: Record<string, unknown>): ResolvedCommonServerOptions {
  const d = DEFAULT_COMMON_SERVER_OPTIONS;
  const pick = <T>(key: string, fallback: T, check: (name: string, v: unknown) => T): T => (input[key] === undefined ? fallback : check(key, input[key]));
  return {
    host: pick('host', d.host, checkString),
    port: pick('port', d.port, (n, v) => checkInteger(n, v, 0, 65535)),
    backlog: pick('backlog', d.backlog, (n, v) => checkInteger(n, v, 1, 65535)),
    maxConnections: pick('maxConnections', d.maxConnections, (n, v) => checkInteger(n, v, 1, 1_000_000)),
    idleTimeoutMs: pick('idleTimeoutMs', d.idleTimeoutMs, (n, v) => checkInteger(n, v, 0, 2_147_483_647)),
    lingerMs: pick('lingerMs', d.lingerMs, (n, v) => checkInteger(n, v, 0, 60_000)),
    drainTimeoutMs: pick('drainTimeoutMs', d.drainTimeoutMs, (n, v) => checkInteger(n, v, 0, 2_147_483_647)),
    limits: resolveLimits(input.limits as Partial<Limits> | undefined),
    log: pick('log', d.log, (n, v) => checkOneOf(n, v, ['silent', 'text', 'json'] as const)),
    quiet: pick('quiet', d.quiet, checkBoolean),
  };
}

/**
 * Resolves a design's full options: common ones plus its own, each validated by `own[key](name, value)`.
 * Unknown keys are rejected so a typo never silently falls back to a default.
 */
export function resolveServerOptions<T extends object>(
  input: unknown,
  ownDefaults: T,
  own: { [K in keyof T]: (name: string, value: unknown) => T[K] },
): Readonly<ResolvedCommonServerOptions & T> {
  const given = checkKnownKeys('options', input, [...COMMON_OPTION_KEYS, ...Object.keys(ownDefaults)]);
  const out = { ...resolveCommonOptions(given), ...ownDefaults } as ResolvedCommonServerOptions & T;
  for (const key of Object.keys(ownDefaults) as (keyof T & string)[]) {
    if (given[key] !== undefined) (out as Record<string, unknown>)[key] = own[key](key, given[key]);
  }
  return deepFreeze(out);
}
