import type { Socket } from 'node:net';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { WorkerCrashedError, errorFromCode, type Task } from '@socketlab/protocol';
import { occupiesThread, type ConnectionCounters, type Executor, type ExitReport, type TaskValue } from '@socketlab/protocol/server';
import { isBranded, type FromWorker, type ToWorker, type WorkerConfig, type WorkerData } from './messages.ts';

/** After a `stop` message, how long a thread that owns a socket gets to answer and close it before it is terminated, in ms. */
export const STOP_TIMEOUT_MS = 1000;

interface Owned {
  counters: ConnectionCounters;
  done: () => void;
  /** Resolves once done() has run. */
  closed: Promise<void>;
}

/** Loads {@link file://./entry/worker.ts}, built to dist/entry/worker.cjs (self-contained) next to this bundle. */
const WORKER_ENTRY = new URL('./entry/worker.cjs', import.meta.url);

interface Pending {
  resolve: (value: TaskValue) => void;
  reject: (error: Error) => void;
  /** It occupies the thread (counted in `load`). */
  occupies: boolean;
}

/**
 * One worker thread, seen from the main thread: the thread runtime of the server core's Executor.
 * `run(task)` posts the task (batched per event-loop turn) and resolves with its result; `own(socket)`
 * transfers a client's socket to the thread, which serves it. If the thread dies, its unanswered tasks
 * reject with SOCKETLAB_ERR_WORKER_CRASHED, an owned connection counts one error (the socket died with
 * the thread: nobody is left to answer on it), and `onExit` reports it.
 */
export class ThreadWorker implements Executor {
  readonly worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #owned = new Map<number, Owned>();
  #outbox: Extract<ToWorker, { type: 'run' }>['batch'] = [];
  #scheduled = false;
  #nextId = 1;
  #occupying = 0;
  #terminating = false;
  /** Set by drain(), read by the thread before each task that holds it (see WorkerData.draining). */
  readonly #draining = new Int32Array(new SharedArrayBuffer(4));
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;

  constructor(config: WorkerConfig, onExit: ExitReport<ThreadWorker>) {
    // execArgv: [] keeps the parent's loaders (e.g. tsx under test) out of the thread, so start-up is Node's own.
    this.worker = new Worker(WORKER_ENTRY, { workerData: { ...config, draining: this.#draining.buffer } satisfies WorkerData, execArgv: [] });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('online', resolve);
      this.worker.once('exit', () => reject(new WorkerCrashedError(`worker thread ${this.worker.threadId} exited before it was online`)));
    });
    this.ready.catch(() => {});
    this.worker.on('message', (msg: FromWorker) => {
      if (!isBranded(msg)) return;
      if (msg.type === 'log') {
        process.stdout.write(msg.line + '\n');
        return;
      }
      if (msg.type === 'closed') {
        const owned = this.#owned.get(msg.id);
        if (!owned) return;
        this.#owned.delete(msg.id);
        owned.counters.tasks += msg.tasks;
        owned.counters.errors += msg.errors;
        owned.done();
        return;
      }
      for (const result of msg.batch) {
        const entry = this.#pending.get(result[0]);
        if (!entry) continue;
        this.#pending.delete(result[0]);
        if (entry.occupies) this.#occupying--;
        if (result[1] === 1) entry.resolve(result[2]);
        else entry.reject(errorFromCode(result[2].code, result[2].message));
      }
    });
    let error: Error | undefined;
    this.worker.on('error', (err) => {
      error = err;
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        const crashed = !this.#terminating;
        const failure = new WorkerCrashedError(`worker thread ${this.worker.threadId} ${crashed ? 'died' : 'was stopped'} before answering${error ? `: ${error.message}` : ''}`);
        for (const entry of this.#pending.values()) entry.reject(failure);
        this.#pending.clear();
        this.#occupying = 0;
        for (const owned of this.#owned.values()) {
          owned.counters.errors++;
          owned.done();
        }
        this.#owned.clear();
        onExit(this, crashed, `died${error ? `: ${error.message}` : ''}`);
        resolve();
      });
    });
  }

  /**
   * Tasks sent, not yet answered, that occupy the thread (occupiesThread): what the pool balances on. An
   * INFO counted as much as a SLEEP would send a client's SLEEP to the thread that already holds another
   * client's, while its own thread answers one INFO (the imbalance a reviewer saw with PING, when PING
   * still crossed).
   */
  get load(): number {
    return this.#occupying;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  get id(): number {
    return this.worker.threadId;
  }

  run(task: Task): Promise<TaskValue> {
    const id = this.#nextId++;
    // Copy the argument out of the socket's read buffer: structured clone would otherwise copy the
    // whole underlying ArrayBuffer (up to 64 KiB) for a view of a few bytes.
    const copy: Task = task.data ? { name: task.name, n: task.n, data: new Uint8Array(task.data) } : task;
    this.#outbox.push([id, copy]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    const occupies = occupiesThread(task);
    if (occupies) this.#occupying++;
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, occupies }));
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#outbox.length === 0) return;
    const msg: ToWorker = { __socketlab__: true, type: 'run', batch: this.#outbox };
    this.#outbox = [];
    this.worker.postMessage(msg);
  }

  /**
   * Transfers `socket` to the thread, which serves it from then on; resolves once the connection has
   * closed (its counts added to `counters`), or the thread is gone. Returns null, having changed
   * nothing, if the socket cannot be transferred: the runtime transfers only a socket that has never
   * been read or written (a client that sent bytes while it waited for a thread has been read).
   */
  own(socket: Socket, id: number, counters: ConnectionCounters): Promise<void> | null {
    const msg: ToWorker = { __socketlab__: true, type: 'own', id, socket };
    try {
      this.worker.postMessage(msg, [socket as unknown as TransferListItem]);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_WORKER_HANDLE_NOT_TRANSFERABLE') return null;
      throw err;
    }
    let done!: () => void;
    const closed = new Promise<void>((resolve) => (done = resolve));
    this.#owned.set(id, { counters, done, closed });
    return closed;
  }

  /** Graceful stop of an owned connection (a no-op for a thread that only runs tasks). */
  drain(): void {
    // A thread busy with a batch of tasks sees no message before the batch is done: the flag it reads
    // before each blocking task stops the ones not yet started.
    Atomics.store(this.#draining, 0, 1);
    if (this.#owned.size > 0) this.worker.postMessage({ __socketlab__: true, type: 'drain' } satisfies ToWorker);
  }

  /** Stops the thread; unanswered tasks reject. */
  async terminate(): Promise<void> {
    this.#terminating = true;
    await this.worker.terminate();
    await this.exited;
  }

  /**
   * Stops the thread. One that owns a socket is asked first to answer its oldest request with
   * SHUTTING_DOWN and close (only it can write to that socket), and terminated after STOP_TIMEOUT_MS.
   */
  async stop(): Promise<void> {
    if (this.#owned.size > 0) {
      this.worker.postMessage({ __socketlab__: true, type: 'stop' } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      const owned = Promise.all([...this.#owned.values()].map((o) => o.closed));
      await Promise.race([owned, new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    return this.terminate();
  }

  /** Whether it still runs tasks it was posted (answered to nobody once their client has gone). */
  get busy(): boolean {
    return this.#pending.size > 0;
  }

  /** Stops a thread that holds no client (see Executor.retire). */
  retire(): Promise<void> {
    return this.terminate();
  }

  /** Ends the thread as a crash would (not marked as a planned stop). */
  kill(): void {
    void this.worker.terminate();
  }
}
