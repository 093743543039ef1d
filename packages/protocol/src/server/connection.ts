import type { Socket } from 'node:net';
import { GOODBYE } from '../constants.ts';
import { RequestDecoder, type DecodedItem, type Framing } from '../decoder.ts';
import { encodeError, encodeOk } from '../encode.ts';
import { IdleTimeoutError, ShuttingDownError, SocketlabError, toSocketlabError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import { parseTask, type Task } from '../tasks.ts';
import { rejectSocket } from './reject.ts';

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
  /** Close a connection that sent nothing for this long, in ms; 0 disables. */
  idleTimeoutMs?: number;
  counters?: ConnectionCounters;
  /** Called with each request's text (for the lesson's "Received task from ..." log line). */
  onRequest?: (request: string) => void;
  /** Called with each error sent to the peer and each socket error (for logging). */
  onError?: (error: SocketlabError | Error) => void;
}

interface Slot {
  buf: Buffer | null;
  close: boolean;
  framing: Framing;
}

export type CloseReason = 'exit' | 'peer' | 'error' | 'fatal' | 'idle' | 'shutdown';

/**
 * Serves the socketlab protocol on one socket: decoding, pipelining with replies in request order,
 * per-connection backpressure, limits, idle timeout, EXIT and graceful shutdown. Written once, used by
 * every design; a design only decides where `run` executes a task.
 *
 * Backpressure: at most `limits.maxInFlight` requests are started and unanswered at once. Beyond that
 * the socket is paused (the kernel's receive window then pushes back on the client), and reading
 * resumes as replies drain. The same happens while the socket's write buffer is full.
 */
export class ProtocolConnection {
  readonly socket: Socket;
  /** Resolves once the socket has closed, with why. */
  readonly closed: Promise<CloseReason>;

  readonly #decoder: RequestDecoder;
  readonly #opts: ConnectionOptions;
  readonly #counters: ConnectionCounters;
  readonly #slots: Slot[] = [];
  #stopped = false; // no more requests will be started
  #ending = false; // end() has been called
  #paused = false;
  #writeBlocked = false;
  #reason: CloseReason = 'peer';

  constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.#opts = options;
    this.#counters = options.counters ?? { tasks: 0, errors: 0 };
    this.#decoder = new RequestDecoder(options.limits);
    socket.setNoDelay(true);
    // Keep our side writable after the peer's FIN, so requests it sent before closing are still answered.
    socket.allowHalfOpen = true;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.#reason)));
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk);
      this.#pump();
    });
    socket.on('error', (err) => {
      this.#reason = 'error';
      this.#stopped = true;
      this.#opts.onError?.(err);
    });
    socket.on('end', () => {
      // The peer half-closed: answer what was already received, then close our side.
      this.#stopped = true;
      this.#maybeEnd();
    });
    socket.on('drain', () => {
      this.#writeBlocked = false;
      this.#pump();
    });
    if (options.idleTimeoutMs) {
      socket.setTimeout(options.idleTimeoutMs, () => this.#onIdle());
    }
    if (socket.isPaused()) socket.resume();
  }

  /** Requests started and not yet answered. */
  get inFlight(): number {
    return this.#slots.length;
  }

  /**
   * Graceful stop: starts no new request, lets in-flight ones finish and be answered, then closes.
   * Requests received but not started get one SOCKETLAB_ERR_SHUTTING_DOWN reply.
   */
  shutdown(): void {
    if (this.#ending) return;
    this.#reason = 'shutdown';
    if (!this.#stopped) {
      this.#stopped = true;
      if (this.#decoder.buffered > 0) this.#push({ buf: encodeError('text', new ShuttingDownError()), close: true, framing: 'text' });
    }
    this.#setPaused(true);
    this.#flush();
    this.#maybeEnd();
  }

  /**
   * Closes now. With `error`, the oldest unanswered request gets it as its reply first (e.g.
   * SOCKETLAB_ERR_SHUTTING_DOWN when a drain times out), so the client learns why; the rest are dropped.
   */
  destroy(error?: SocketlabError): void {
    this.#stopped = true;
    const head = this.#slots[0];
    if (!error || !head || this.#ending || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    this.#ending = true;
    this.#slots.length = 0;
    this.#counters.errors++;
    void rejectSocket(this.socket, error, head.framing);
  }

  #onIdle(): void {
    if (this.#slots.length > 0 || this.#ending) {
      // Busy with a long task, not idle: arm again.
      this.socket.setTimeout(this.#opts.idleTimeoutMs ?? 0);
      return;
    }
    this.#reason = 'idle';
    this.#stopped = true;
    this.#push({ buf: encodeError('text', new IdleTimeoutError(`no request for ${this.#opts.idleTimeoutMs} ms`)), close: true, framing: 'text' });
  }

  #pump(): void {
    const max = this.#opts.limits.maxInFlight;
    if (!this.#stopped) {
      // Cork only once a second request turns up in the same read: pipelined replies then leave in one
      // writev, while the common case (one request per read) keeps the plain single write.
      let corked = false;
      let handled = 0;
      let item: DecodedItem | null;
      while (this.#slots.length < max && !this.#stopped && (item = this.#decoder.next()) !== null) {
        if (handled++ === 1) {
          this.socket.cork();
          corked = true;
        }
        this.#handle(item);
      }
      if (corked) this.socket.uncork();
    }
    this.#setPaused(this.#stopped || this.#writeBlocked || this.#slots.length >= max);
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
    const framing = item.framing;
    this.#opts.onRequest?.(item.payload.toString('utf8', 0, Math.min(item.payload.length, 200)));
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
      this.#push({ buf: encodeOk(framing, GOODBYE), close: true, framing });
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
      this.#push({ buf: encodeOk(framing, value), close: false, framing });
      return;
    }
    const slot: Slot = { buf: null, close: false, framing };
    this.#slots.push(slot);
    value.then(
      (v) => {
        slot.buf = encodeOk(framing, v);
        this.#flush();
        this.#pump();
      },
      (err: unknown) => {
        const error = toSocketlabError(err);
        this.#counters.errors++;
        this.#opts.onError?.(error);
        slot.buf = encodeError(framing, error);
        this.#flush();
        this.#pump();
      },
    );
  }

  #fail(framing: Framing, error: SocketlabError, close: boolean): void {
    this.#counters.errors++;
    this.#opts.onError?.(error);
    this.#push({ buf: encodeError(framing, error), close, framing });
  }

  #push(slot: Slot): void {
    this.#slots.push(slot);
    this.#flush();
  }

  /** Writes every answered slot at the head of the queue, in request order. */
  #flush(): void {
    const slots = this.#slots;
    while (slots.length > 0 && slots[0]!.buf !== null) {
      const slot = slots.shift()!;
      if (this.#ending || this.socket.destroyed) continue;
      this.#counters.tasks++;
      if (!this.socket.write(slot.buf!)) this.#writeBlocked = true;
      if (slot.close) {
        slots.length = 0;
        this.#end();
        return;
      }
    }
    this.#maybeEnd();
  }

  #maybeEnd(): void {
    if (this.#stopped && this.#slots.length === 0 && !this.#ending && (this.#reason === 'shutdown' || this.socket.readableEnded)) this.#end();
  }

  #end(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#stopped = true;
    // end() flushes what was written, then sends FIN: the reply always reaches the peer first.
    this.socket.end();
  }
}
