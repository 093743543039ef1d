import type { Socket } from 'node:net';
import { GOODBYE } from '../constants.ts';
import { RequestDecoder, type DecodedItem, type Framing } from '../decoder.ts';
import { encodeError, encodeOk } from '../encode.ts';
import { IdleTimeoutError, ShuttingDownError, SocketlabError, toSocketlabError } from '../errors.ts';
import { parseTask, type Task } from '../tasks.ts';
import { DEFAULT_LINGER_MS, type CloseReason, type ConnectionCounters, type ConnectionOptions, type TaskValue } from './connection-options.ts';

/** One request's place in the reply order. `bytes` counts what it holds: its request until answered, then its reply. */
interface Slot {
  buf: Buffer | null;
  close: boolean;
  framing: Framing;
  bytes: number;
}

/**
 * Serves the socketlab protocol on one socket: decoding, pipelining with replies in request order,
 * per-connection backpressure, limits, idle timeout, EXIT and graceful shutdown. Written once, used by
 * every design; a design only decides where `run` executes a task.
 *
 * Lifecycle: *open* (requests run) → *ended* (the server has sent its last reply and its FIN, after
 * EXIT, a stream error, the idle timeout, the peer's FIN or shutdown) → *closed*. An ended connection
 * runs nothing more but keeps reading and discarding whatever the peer still sends, so that the peer's
 * FIN is seen (a paused socket never sees it) and closing never turns into a reset; after `lingerMs`
 * it is destroyed whatever the peer does. `ended` resolves at the first step, `closed` at the last.
 *
 * Backpressure: the server stops reading this socket while `limits.maxInFlight` requests are started
 * and unanswered, while the bytes it holds for the connection (requests in flight, replies waiting for
 * their turn, replies queued in the socket) reach `limits.maxPendingBytes`, or while the socket's write
 * buffer is full. The kernel's receive window then pushes back on the client; reading resumes as
 * replies drain. Never an error.
 */
export class ProtocolConnection {
  readonly socket: Socket;
  /** Resolves once the server has ended the connection (its FIN sent, or the socket gone), with why. */
  readonly ended: Promise<CloseReason>;
  /** Resolves once the socket has closed, with why. */
  readonly closed: Promise<CloseReason>;

  readonly #decoder: RequestDecoder;
  readonly #opts: ConnectionOptions;
  readonly #counters: ConnectionCounters;
  readonly #slots: Slot[] = [];
  #held = 0; // bytes the slots hold (see Slot.bytes)
  #stopped = false; // no more requests will be started or answered
  #draining = false; // shutdown(): every further request gets SHUTTING_DOWN
  #drainReady = false; // one read turn has passed since the drain began (see shutdown())
  #peerEnded = false; // the peer's FIN was read
  #ending = false; // our end() has been called: reading only to discard
  #paused = false;
  #writeBlocked = false;
  #reason: CloseReason = 'peer';
  #idleTimer: NodeJS.Timeout | null = null;
  #lingerTimer: NodeJS.Timeout | null = null;
  #resolveEnded!: (reason: CloseReason) => void;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.#opts = options;
    this.#counters = options.counters ?? { tasks: 0, errors: 0 };
    this.#decoder = new RequestDecoder(options.limits);
    socket.setNoDelay(true);
    // Keep our side writable after the peer's FIN, so requests it sent before closing are still answered.
    socket.allowHalfOpen = true;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#clearTimers();
        this.#resolveEnded(this.#reason);
        resolve(this.#reason);
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      if (this.#ending) return; // ended: read only to see the FIN
      this.#decoder.push(chunk);
      this.#pump();
    });
    socket.on('error', (err) => {
      this.#reason = 'error';
      this.#stopped = true;
      this.#opts.onError?.(err);
    });
    socket.on('end', () => this.#onPeerEnd());
    socket.on('drain', () => {
      this.#writeBlocked = false;
      this.#pump();
    });
    if (options.idleTimeoutMs) this.#idleTimer = setTimeout(() => this.#onIdle(), options.idleTimeoutMs);
    if (options.head && options.head.length > 0) this.#decoder.push(options.head);
    if (options.draining) this.shutdown();
    else this.#pump();
    if (socket.readableEnded) this.#onPeerEnd();
    else if (!this.#paused && socket.isPaused()) socket.resume();
  }

  /** Requests started and not yet answered, plus answered ones waiting for their turn. */
  get inFlight(): number {
    return this.#slots.length;
  }

  /** Bytes held for this connection now: requests in flight, replies not yet written, the socket's write queue. */
  get pendingBytes(): number {
    return this.#held + this.socket.writableLength;
  }

  /**
   * Graceful stop: starts no new request; lets in-flight ones finish and be answered; keeps reading, and
   * answers every further request with one SOCKETLAB_ERR_SHUTTING_DOWN; then ends the connection.
   */
  shutdown(): void {
    if (this.#ending || this.#draining) return;
    this.#draining = true;
    if (!this.#stopped) this.#reason = 'shutdown';
    // Requests already in the kernel's receive buffer were sent before the drain began: give them one
    // read turn before ending. A setImmediate queued from a setImmediate runs after the next poll phase,
    // which reads every ready socket, this one included even if its reading only just started (a socket
    // accepted paused, resumed by this connection).
    setImmediate(() =>
      setImmediate(() => {
        this.#drainReady = true;
        this.#pump();
      }),
    );
    this.#pump();
  }

  /**
   * Closes now (the drain timeout has passed). With `error`, the oldest unanswered request gets it as
   * its reply first (e.g. SOCKETLAB_ERR_SHUTTING_DOWN), so the client learns why; the rest are dropped.
   */
  destroy(error?: SocketlabError): void {
    if (this.socket.destroyed) return;
    const head = this.#slots[0];
    if (error && !head && !this.#ending) {
      // Nothing in flight: whatever the peer sent is unread or not started. Destroying the socket now
      // would reset a peer whose request is still in our receive buffer; answer it as a drain does
      // (SHUTTING_DOWN to each request, then FIN), which takes one read turn, then the linger at most.
      this.shutdown();
      return;
    }
    this.#stopped = true;
    this.#slots.length = 0;
    this.#held = 0;
    if (!error || !head || this.#ending) {
      this.socket.destroy();
      return;
    }
    this.#counters.errors++;
    this.socket.write(encodeError(head.framing, error));
    this.#end();
  }

  #onPeerEnd(): void {
    if (this.#peerEnded) return;
    this.#peerEnded = true;
    // The peer half-closed: answer what it sent before its FIN, then end our side (see #maybeEnd).
    if (this.#ending) return;
    this.#pump();
  }

  #onIdle(): void {
    this.#idleTimer = null;
    if (this.#ending || this.#stopped || this.#draining) return;
    if (this.#slots.length > 0) {
      // Busy with a long task, not idle: look again a full period after it is answered (#flush re-arms).
      return;
    }
    this.#reason = 'idle';
    this.#stopped = true;
    this.#fail('text', new IdleTimeoutError(`no complete request for ${this.#opts.idleTimeoutMs} ms`), true);
  }

  #armIdle(): void {
    if (!this.#opts.idleTimeoutMs || this.#ending) return;
    if (this.#idleTimer) this.#idleTimer.refresh();
    else this.#idleTimer = setTimeout(() => this.#onIdle(), this.#opts.idleTimeoutMs);
  }

  /** Whether another request may be started now (backpressure; see the class comment). */
  #hasRoom(): boolean {
    return !this.#writeBlocked && this.#slots.length < this.#opts.limits.maxInFlight && this.pendingBytes < this.#opts.limits.maxPendingBytes;
  }

  #pump(): void {
    if (this.#ending || this.socket.destroyed) return;
    if (!this.#stopped) {
      // Cork only once a second request turns up in the same read: pipelined replies then leave in one
      // writev, while the common case (one request per read) keeps the plain single write.
      let corked = false;
      let handled = 0;
      let item: DecodedItem | null;
      while (!this.#stopped && this.#hasRoom() && (item = this.#decoder.next()) !== null) {
        if (handled++ === 1) {
          this.socket.cork();
          corked = true;
        }
        this.#handle(item);
      }
      if (corked) this.socket.uncork();
    }
    if (this.#ending) return;
    this.#setPaused(this.#stopped || !this.#hasRoom());
    this.#maybeEnd();
  }

  #setPaused(paused: boolean): void {
    if (paused === this.#paused || this.socket.destroyed) return;
    this.#paused = paused;
    if (paused) this.socket.pause();
    else this.socket.resume();
  }

  #handle(item: DecodedItem): void {
    if (item.type === 'error') {
      this.#stopped = true;
      this.#reason = 'fatal';
      this.#fail(item.framing, item.error, true);
      return;
    }
    this.#armIdle();
    const framing = item.framing;
    this.#opts.onRequest?.(item.payload);
    if (this.#draining) {
      this.#fail(framing, new ShuttingDownError('server is shutting down; request not started'), false);
      return;
    }
    let task: Task;
    try {
      task = parseTask(item.payload, framing, this.#opts.limits);
    } catch (err) {
      this.#fail(framing, toSocketlabError(err), false);
      return;
    }
    if (task.name === 'EXIT') {
      this.#stopped = true;
      this.#reason = 'exit';
      this.#push(encodeOk(framing, GOODBYE), true, framing);
      return;
    }
    let value: TaskValue | Promise<TaskValue>;
    try {
      value = this.#opts.run(task);
    } catch (err) {
      this.#fail(framing, toSocketlabError(err), false);
      return;
    }
    if (typeof value === 'string' || value instanceof Uint8Array) {
      this.#push(encodeOk(framing, value), false, framing);
      return;
    }
    const slot: Slot = { buf: null, close: false, framing, bytes: item.payload.length };
    this.#held += slot.bytes;
    this.#slots.push(slot);
    value.then(
      (v) => this.#answer(slot, encodeOk(framing, v)),
      (err: unknown) => {
        const error = toSocketlabError(err);
        this.#counters.errors++;
        this.#opts.onError?.(error);
        this.#answer(slot, encodeError(framing, error));
      },
    );
  }

  #answer(slot: Slot, buf: Buffer): void {
    if (this.#slots.length === 0 || this.socket.destroyed) return; // destroyed meanwhile
    this.#held += buf.length - slot.bytes;
    slot.bytes = buf.length;
    slot.buf = buf;
    this.#flush();
    this.#pump();
  }

  #fail(framing: Framing, error: SocketlabError, close: boolean): void {
    this.#counters.errors++;
    this.#opts.onError?.(error);
    this.#push(encodeError(framing, error), close, framing);
  }

  #push(buf: Buffer, close: boolean, framing: Framing): void {
    this.#held += buf.length;
    this.#slots.push({ buf, close, framing, bytes: buf.length });
    this.#flush();
  }

  /** Writes every answered slot at the head of the queue, in request order. */
  #flush(): void {
    const slots = this.#slots;
    while (slots.length > 0 && slots[0]!.buf !== null) {
      const slot = slots.shift()!;
      this.#held -= slot.bytes;
      if (this.#ending || this.socket.destroyed) continue;
      this.#counters.tasks++;
      if (!this.socket.write(slot.buf!)) this.#writeBlocked = true;
      if (slot.close) {
        slots.length = 0;
        this.#held = 0;
        this.#end();
        return;
      }
    }
    if (slots.length === 0) this.#armIdle(); // idle from the moment the last reply left
  }

  #maybeEnd(): void {
    if (this.#ending || this.#slots.length > 0) return;
    if (this.#stopped) return this.#end();
    // Not while backpressure holds complete requests back in the decoder: the pump has not run dry.
    if (!this.#hasRoom()) return;
    // With the peer's FIN read (or the drain's read turn passed), every complete request it sent has
    // been taken and answered.
    if (this.#peerEnded || (this.#draining && this.#drainReady)) this.#end();
  }

  #end(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#stopped = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#resolveEnded(this.#reason);
    if (this.socket.destroyed) return;
    // end() flushes what was written, then sends FIN: the reply always reaches the peer first. Then keep
    // reading (and dropping) until the peer's FIN, so the socket closes cleanly; cut it after the linger.
    this.socket.end();
    this.#paused = false;
    this.socket.resume();
    this.#lingerTimer = setTimeout(() => this.socket.destroy(), this.#opts.lingerMs ?? DEFAULT_LINGER_MS);
  }

  #clearTimers(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#idleTimer = this.#lingerTimer = null;
  }
}
