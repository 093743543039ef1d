import type { Socket } from 'node:net';
import { BacklogFullError } from '../errors.ts';
import type { ConnectionContext } from './task-server.ts';

/** Most bytes read ahead from one waiting client (see WaitQueue), in bytes: one socket read. */
export const WAITING_READ_AHEAD_BYTES = 64 * 1024;

/**
 * Stops reading a socket for real and collects what Node had already read into its buffer. `pause()`
 * alone only stops 'data' events: the stream goes on reading from the kernel until its buffer is full,
 * which would steal bytes meant for a child process that gets the file descriptor (server-mp) and
 * reads it too. So the buffered data is drained here (read() may restart reading: same tick, no data
 * can arrive) and the handle's reading is stopped; whoever serves the socket next resumes it. This uses
 * two internals of node:net, stable since Node 0.x: the socket's `_handle` (libuv stream; child_process's
 * own handle passing uses it the same way) and its stream's `reading` flag. server-mp's prefork parent uses
 * it too, on the copy of each socket a child sends it (a socket received over IPC starts reading at once). Tests on every supported line
 * (the robustness suite's worker-cap case) prove both.
 */
export function stopReading(socket: Socket, into: Buffer[] = []): void {
  socket.pause();
  let chunk: Buffer | null;
  while ((chunk = socket.read() as Buffer | null) !== null) into.push(chunk);
  const internals = socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } | null; _readableState?: { reading?: boolean } };
  const handle = internals._handle;
  if (handle?.reading) {
    handle.reading = false;
    handle.readStop?.();
  }
  // read() above may have asked for more (`reading` set, awaiting a push that will now never come); clear
  // it, or a later resume() would never ask again and the socket would stall.
  if (internals._readableState) internals._readableState.reading = false;
}

/** What a waiting client sent before its turn, handed to whoever serves it. */
export interface Admitted {
  socket: Socket;
  context: ConnectionContext;
  /** Bytes read ahead while it waited (null if none). */
  head: Buffer | null;
}

/** A client being served: `released` when its slot may go to the next client, `closed` when it is over. */
export interface Served {
  /** Its connection ended and, for a worker per connection, its worker is gone: the next client may start. */
  released: Promise<void>;
  /** Its socket has closed. */
  closed: Promise<void>;
}

interface Entry extends Admitted {
  chunks: Buffer[];
  bytes: number;
  done: () => void;
  detach: () => void;
}

/**
 * Admission for designs that give each client something scarce (the iterative server's one thread, a
 * process or thread per connection under `maxWorkers`): at most `capacity` clients are served at once;
 * the others wait, connected and unanswered, in arrival order, as they would in the lesson's listen
 * backlog; beyond `backlog` waiting, a new client gets SOCKETLAB_ERR_BACKLOG_FULL.
 *
 * libuv accepts every connection, so a waiting client is an accepted socket. A paused socket would
 * never see its peer leave, and a burst of clients that connect and go would fill the queue for good;
 * so a waiting socket is read ahead (up to WAITING_READ_AHEAD_BYTES, then paused). A client that closes
 * having sent nothing leaves the queue at once; what a client did send is kept and handed over with the
 * socket, so it is served exactly as if it had been read at its turn.
 */
export class WaitQueue {
  readonly #capacity: number;
  readonly #backlog: number;
  readonly #serve: (client: Admitted) => Served;
  readonly #waiting: Entry[] = [];
  #running = 0;
  #closed = false;

  /** `serve` starts serving a client (see Served). */
  constructor(capacity: number, backlog: number, serve: (client: Admitted) => Served) {
    this.#capacity = capacity;
    this.#backlog = backlog;
    this.#serve = serve;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Serves `socket` now, or queues it, or turns it away; resolves once it is over. */
  admit(socket: Socket, context: ConnectionContext): Promise<void> {
    if (this.#running < this.#capacity && this.#waiting.length === 0 && !this.#closed) {
      return this.#start({ socket, context, head: null });
    }
    if (this.#waiting.length >= this.#backlog) {
      return context.reject(socket, new BacklogFullError(`wait queue is full (backlog ${this.#backlog})`));
    }
    return new Promise((resolve) => {
      const entry: Entry = { socket, context, head: null, chunks: [], bytes: 0, done: resolve, detach: () => {} };
      const onData = (chunk: Buffer) => {
        entry.chunks.push(chunk);
        entry.bytes += chunk.length;
        if (entry.bytes >= WAITING_READ_AHEAD_BYTES) socket.pause();
      };
      // Left before its turn: with nothing said, it leaves the queue (and is closed) now.
      const onEnd = () => {
        if (entry.bytes === 0) this.#leave(entry, true);
      };
      const onClose = () => this.#leave(entry, false);
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.on('close', onClose);
      socket.on('error', () => {}); // a reset while waiting: 'close' follows
      entry.detach = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onClose);
        socket.pause();
      };
      this.#waiting.push(entry);
      socket.resume();
    });
  }

  /** Stops starting clients; every waiting one is handed to `drainWith` (which answers it and closes it). */
  close(drainWith: (client: Admitted) => Promise<void>): void {
    this.#closed = true;
    for (const entry of this.#waiting.splice(0)) {
      entry.detach();
      void drainWith(this.#handover(entry)).then(entry.done, entry.done);
    }
  }

  /** Drops every waiting client now (hard stop). */
  destroyWaiting(): void {
    this.#closed = true;
    for (const entry of this.#waiting.splice(0)) {
      entry.detach();
      entry.socket.destroy();
      entry.done();
    }
  }

  #leave(entry: Entry, destroy: boolean): void {
    const i = this.#waiting.indexOf(entry);
    if (i === -1) return;
    this.#waiting.splice(i, 1);
    entry.detach();
    if (destroy) entry.socket.destroy();
    entry.done();
  }

  #handover(entry: Entry): Admitted {
    stopReading(entry.socket, entry.chunks);
    const head = entry.chunks.length === 0 ? null : entry.chunks.length === 1 ? entry.chunks[0]! : Buffer.concat(entry.chunks);
    return { socket: entry.socket, context: entry.context, head };
  }

  #start(client: Admitted): Promise<void> {
    this.#running++;
    let served: Served;
    try {
      served = this.#serve(client);
    } catch (err) {
      served = { released: Promise.resolve(), closed: Promise.reject(err) };
    }
    // The slot goes at `released` only: a child process reports its client closed before it exits, and
    // the cap is on workers alive, not on connections. A design's `released` always settles (its worker
    // exits after its connection, or is stopped).
    const release = () => {
      this.#running--;
      this.#next();
    };
    served.released.then(release, release);
    return served.closed;
  }

  #next(): void {
    while (!this.#closed && this.#running < this.#capacity && this.#waiting.length > 0) {
      const entry = this.#waiting.shift()!;
      entry.detach();
      void this.#start(this.#handover(entry)).then(entry.done, entry.done);
    }
  }
}
