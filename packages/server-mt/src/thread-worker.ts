import { Worker } from 'node:worker_threads';
import { WorkerCrashedError, errorFromCode, type ExecutionContext, type Task } from '@socketlab/protocol';
import type { Executor, ExitReport, TaskValue } from '@socketlab/protocol/server';
import { isBranded, type FromWorker, type ToWorker, type WorkerConfig } from './messages.ts';

/** Loads {@link file://./entry/worker.ts}, built to dist/entry/worker.cjs (self-contained) next to this bundle. */
const WORKER_ENTRY = new URL('./entry/worker.cjs', import.meta.url);

interface Pending {
  resolve: (value: TaskValue) => void;
  reject: (error: Error) => void;
}

/**
 * One task thread, seen from the main thread: the thread runtime of the server core's Executor.
 * `run(task)` posts the task (batched per event-loop turn) and resolves with its result. If the thread
 * dies, its unanswered tasks reject with SOCKETLAB_ERR_WORKER_CRASHED and `onExit` reports it.
 */
export class ThreadWorker implements Executor {
  readonly worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #outbox: ToWorker['batch'] = [];
  #scheduled = false;
  #nextId = 1;
  #terminating = false;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;

  constructor(context: ExecutionContext, onExit: ExitReport<ThreadWorker>) {
    const config: WorkerConfig = { context };
    // execArgv: [] keeps the parent's loaders (e.g. tsx under test) out of the thread, so start-up is Node's own.
    this.worker = new Worker(WORKER_ENTRY, { workerData: config, execArgv: [] });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('online', resolve);
      this.worker.once('exit', () => reject(new WorkerCrashedError(`worker thread ${this.worker.threadId} exited before it was online`)));
    });
    this.ready.catch(() => {});
    this.worker.on('message', (msg: FromWorker) => {
      if (!isBranded(msg) || msg.type !== 'results') return;
      for (const result of msg.batch) {
        const entry = this.#pending.get(result[0]);
        if (!entry) continue;
        this.#pending.delete(result[0]);
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
        onExit(this, crashed, `died${error ? `: ${error.message}` : ''}`);
        resolve();
      });
    });
  }

  /** Tasks sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  get load(): number {
    return this.#pending.size;
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
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#outbox.length === 0) return;
    const msg: ToWorker = { __socketlab__: true, type: 'run', batch: this.#outbox };
    this.#outbox = [];
    this.worker.postMessage(msg);
  }

  /** Stops the thread; unanswered tasks reject. */
  async terminate(): Promise<void> {
    this.#terminating = true;
    await this.worker.terminate();
    await this.exited;
  }

  stop(): Promise<void> {
    return this.terminate();
  }

  /** Ends the thread as a crash would (not marked as a planned stop). */
  kill(): void {
    void this.worker.terminate();
  }
}
