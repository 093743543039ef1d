import type { Socket } from 'node:net';
import type { Limits } from '../limits.ts';
import { ProtocolConnection } from './connection.ts';
import type { ConnectionCounters, TaskRunner } from './connection-options.ts';
import { Logger, escapeForLog, peerName } from './logger.ts';
import type { SocketlabError } from '../errors.ts';

export interface ServeOptions {
  limits: Readonly<Limits>;
  idleTimeoutMs: number;
  lingerMs: number;
  run: TaskRunner;
  logger: Logger;
  counters?: ConnectionCounters;
  /** Bytes a waiting client sent before its turn (see WaitQueue). */
  head?: Buffer | null;
  /** Serve in draining mode: every request gets SHUTTING_DOWN (a client still waiting at shutdown). */
  draining?: boolean;
}

/**
 * Serves one accepted socket with the lesson's log lines around it. Used wherever a design serves a
 * socket: the main thread, a child process, the iterative loop.
 */
export function serveSocket(socket: Socket, options: ServeOptions): ProtocolConnection {
  const { logger } = options;
  // Only when logging: reading the peer address is a getpeername() syscall per connection.
  const peer = logger.traffic ? peerName(socket) : '';
  if (logger.traffic) logger.info('connection', `TCP connection established with ${peer}`, { peer });
  const connection = new ProtocolConnection(socket, {
    limits: options.limits,
    idleTimeoutMs: options.idleTimeoutMs,
    lingerMs: options.lingerMs,
    run: options.run,
    counters: options.counters,
    head: options.head,
    draining: options.draining,
    // Whatever a client sent is escaped and capped before it reaches a log line (escapeForLog).
    onRequest: logger.traffic
      ? (payload) => {
          const request = escapeForLog(payload);
          logger.info('request', `Received task from ${peer}: ${request}`, { peer, request });
        }
      : undefined,
    onError: logger.traffic
      ? (err) => {
          const message = escapeForLog(err.message);
          logger.error('error', `Error handling client ${peer}: ${'code' in err && err.code ? `${err.code} ` : ''}${message}`, { peer, code: 'code' in err ? String(err.code) : null });
        }
      : undefined,
  });
  if (logger.traffic) {
    void connection.closed.then((reason) => {
      if (reason === 'exit') logger.info('close', `Closing connection with ${peer}`, { peer, reason });
      else logger.info('disconnect', `Client ${peer} disconnected.`, { peer, reason });
    });
  }
  return connection;
}

/** The connections a design serves on this thread, so drain/stop reach each one. */
export class ConnectionSet {
  readonly #conns = new Set<ProtocolConnection>();
  #draining = false;

  get size(): number {
    return this.#conns.size;
  }

  /** shutdownAll() has been called: no task not yet started may start. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Tracks a connection; resolves once its socket has closed. */
  add(connection: ProtocolConnection): Promise<void> {
    this.#conns.add(connection);
    if (this.#draining) connection.shutdown();
    return connection.closed.then(() => {
      this.#conns.delete(connection);
    });
  }

  /** Resolves once every tracked connection has closed (each one cuts itself after its linger). */
  async closedAll(): Promise<void> {
    await Promise.all([...this.#conns].map((c) => c.closed));
  }

  /** Graceful: every connection finishes its in-flight requests, then closes. */
  shutdownAll(): void {
    this.#draining = true;
    for (const c of this.#conns) c.shutdown();
  }

  /** Closes every connection now; each one's oldest unanswered request gets `error` if given. */
  destroyAll(error?: SocketlabError): void {
    for (const c of this.#conns) c.destroy(error);
  }
}
