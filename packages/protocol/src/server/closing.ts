import type net from 'node:net';
import type { Socket } from 'node:net';
import type { Limits } from '../limits.ts';
import { ShuttingDownError } from '../errors.ts';
import type { ConnectionCounters } from './connection-options.ts';
import type { Logger } from './logger.ts';
import { ConnectionSet, serveSocket } from './serve.ts';

/** Resolves after one full turn of the event loop: the second setImmediate runs after a fresh poll phase. */
export function nextPollTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * Closes a listener without resetting the clients that already connected. A client whose connection
 * the kernel has completed but no one has accepted yet (it sits in the listen backlog: the server's
 * thread was busy, a SLEEP blocked it) is a waiting client like any other; closing the listening socket
 * would make the kernel reset it. So the listener stays open, turn after turn of the event loop (each
 * with a poll phase, in which libuv accepts pending connections), until a turn accepts nothing or
 * `maxMs` has passed; only then does it close. The connections accepted meanwhile are the caller's to
 * serve as late clients (see LateClients). `quietMs`: also wait until no connection has arrived for that
 * long, for a listener fed by another process (a node:cluster worker under SCHED_RR gets each connection
 * from the primary over IPC, one hand-off at a time, so an empty turn does not prove an empty queue).
 */
export async function closeAfterPending(server: net.Server, maxMs: number, quietMs = 0): Promise<void> {
  if (!server.listening) return;
  let accepted = 0;
  let lastAt = performance.now();
  const count = () => {
    accepted++;
    lastAt = performance.now();
  };
  server.on('connection', count);
  const deadline = performance.now() + maxMs;
  for (;;) {
    const before = accepted;
    await nextPollTurn();
    if (!server.listening || performance.now() >= deadline) break;
    if (accepted !== before) continue;
    const quietFor = performance.now() - lastAt;
    if (quietFor >= quietMs) break;
    await new Promise((r) => setTimeout(r, quietMs - quietFor));
  }
  server.off('connection', count);
  if (server.listening) server.close();
}

export interface LateClientOptions {
  limits: Readonly<Limits>;
  idleTimeoutMs: number;
  lingerMs: number;
  logger: Logger;
  counters?: ConnectionCounters;
}

/**
 * Clients that arrive once the shutdown has begun. Each is served in draining mode: every request it
 * sent before its first read turn is read and answered with SOCKETLAB_ERR_SHUTTING_DOWN (none is
 * started), then the connection ends the usual way (FIN, then read until the peer's FIN, or the linger)
 * so the client sees its replies and a clean close, never a reset. `closedAll()` is what a server waits
 * on before it exits.
 */
export class LateClients extends ConnectionSet {
  readonly #options: LateClientOptions;

  constructor(options: LateClientOptions) {
    super();
    this.#options = options;
  }

  /** Serves `socket` in draining mode; resolves once it has closed. */
  serve(socket: Socket): Promise<void> {
    const o = this.#options;
    return this.add(
      serveSocket(socket, {
        limits: o.limits,
        idleTimeoutMs: o.idleTimeoutMs,
        lingerMs: o.lingerMs,
        run: () => {
          throw new ShuttingDownError('server is shutting down; request not started');
        },
        logger: o.logger,
        counters: o.counters,
        draining: true,
      }),
    );
  }
}
