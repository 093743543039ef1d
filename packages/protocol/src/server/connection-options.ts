import type { SocketlabError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { Task } from '../tasks.ts';

// The types and defaults of one served connection (connection.ts), apart so that the modules around it
// (serve, host, reject, inline, closing) need not load the class to name them.

export type TaskValue = string | Uint8Array;

/** Runs a parsed task: inline, on a worker thread, wherever the design puts it. */
export type TaskRunner = (task: Task) => TaskValue | Promise<TaskValue>;

/** Counters a connection adds to as it serves; servers share one object across connections. */
export interface ConnectionCounters {
  tasks: number;
  errors: number;
}

export interface ConnectionOptions {
  limits: Readonly<Limits>;
  run: TaskRunner;
  /**
   * Close a connection that has had no request in flight and completed no request for this long, in
   * ms; 0 disables. Bytes that do not complete a request do not count (slowloris).
   */
  idleTimeoutMs?: number;
  /** Once the server has ended a connection, how long it waits for the peer to close before cutting it, in ms. */
  lingerMs?: number;
  counters?: ConnectionCounters;
  /** Bytes already read from the socket before this connection took it (a waiting client's first bytes). */
  head?: Buffer | null;
  /** Start draining at once: every request gets SOCKETLAB_ERR_SHUTTING_DOWN (clients still waiting at shutdown). */
  draining?: boolean;
  /** Called with each request's text (for the lesson's "Received task from ..." log line). */
  onRequest?: (request: Buffer) => void;
  /** Called with each error sent to the peer and each socket error (for logging). */
  onError?: (error: SocketlabError | Error) => void;
}


export type CloseReason = 'exit' | 'peer' | 'error' | 'fatal' | 'idle' | 'shutdown';

/** Default of `lingerMs`: how long an ended connection waits for the peer's FIN before it is cut, in ms. */
export const DEFAULT_LINGER_MS = 2000;
