import type { Socket } from 'node:net';
import { ShuttingDownError, type Task } from '@socketlab/protocol';
import {
  ConnectionSet, DEFAULT_EXECUTOR_OPTIONS, EXECUTOR_STRATEGIES, TaskServer, WaitQueue, resolveExecutorServerOptions, serveSocket,
  type Admitted, type ConnectionContext, type ExecutorServerOptions, type ExecutorStrategy, type ResolvedExecutorServerOptions, type Design, type Logger, type TaskValue,
} from '@socketlab/protocol/server';
import { ThreadWorker } from './thread-worker.ts';

export type MtStrategy = ExecutorStrategy;
/** See ExecutorServerOptions: `strategy` (`per-connection` | `pool`) and `poolSize`, plus the common options. */
export type MtServerOptions = ExecutorServerOptions;
export type ResolvedMtServerOptions = ResolvedExecutorServerOptions;
/**
 * Most threads at once with strategy `per-connection`: 1024. Measured on the 2-core reference machine
 * (Node 26.12.1), an idle worker thread adds ~7 MiB of RSS to the server (tools/bench, `cap`), so the
 * cap bounds them to ~7 GiB in the worst case, under the 24 GiB machine's memory, while leaving ten
 * times the lesson's 100 simultaneous clients to run at once.
 */
export const DEFAULT_MAX_WORKERS = 1024;
export const DEFAULT_OPTIONS = Object.freeze({ ...DEFAULT_EXECUTOR_OPTIONS, maxWorkers: DEFAULT_MAX_WORKERS });
export const STRATEGIES = EXECUTOR_STRATEGIES;

interface WorkerCounts {
  alive: number;
  started: number;
  crashed: number;
}

/**
 * Shared by both strategies: socket I/O stays on the main thread, and each task is posted to a thread
 * that runs it. (Node 24+ can transfer a socket to a worker thread, `detectRuntime().socketTransfer`;
 * this design does not use it yet.)
 */
abstract class ThreadDesign implements Design {
  readonly design = 'mt';
  abstract readonly strategy: MtStrategy;
  // Paused until served: a per-connection client may have to wait for a thread (maxWorkers).
  readonly pauseOnConnect = true;
  protected readonly options: ResolvedMtServerOptions;
  protected readonly connections = new ConnectionSet();
  protected readonly counts: WorkerCounts = { alive: 0, started: 0, crashed: 0 };
  protected logger: Logger | null = null;

  constructor(options: ResolvedMtServerOptions) {
    this.options = options;
  }

  protected spawn(onCrash?: (w: ThreadWorker) => void): ThreadWorker {
    this.counts.alive++;
    this.counts.started++;
    return new ThreadWorker({ design: this.design, strategy: this.strategy }, (w, crashed, error) => {
      this.counts.alive--;
      if (crashed) {
        this.counts.crashed++;
        this.logger?.error('worker-crash', `Worker thread ${w.threadId} died${error ? `: ${error.message}` : ''}`, { thread: w.threadId });
        onCrash?.(w);
      }
    });
  }

  async start(logger: Logger): Promise<void> {
    this.logger = logger;
  }

  protected serveWith(client: Admitted, run: (task: Task) => Promise<TaskValue>, draining = false) {
    const connection = serveSocket(client.socket, {
      limits: this.options.limits,
      idleTimeoutMs: this.options.idleTimeoutMs,
      lingerMs: this.options.lingerMs,
      run,
      logger: client.context.logger,
      counters: client.context.counters,
      head: client.head,
      draining,
    });
    return { connection, closed: this.connections.add(connection) };
  }

  abstract serve(socket: Socket, context: ConnectionContext): Promise<void>;
  abstract stop(): Promise<void>;

  drain(): void {
    this.connections.shutdownAll();
  }

  workerStats(): WorkerCounts {
    return { ...this.counts };
  }
}

/**
 * The lesson's design: a thread per client, started when its turn comes and stopped when it leaves. At
 * most `maxWorkers` threads at once; further clients wait in arrival order (the shared WaitQueue).
 */
class PerConnectionDesign extends ThreadDesign {
  readonly strategy = 'per-connection';
  readonly #workers = new Set<ThreadWorker>();
  readonly #queue: WaitQueue;

  constructor(options: ResolvedMtServerOptions) {
    super(options);
    this.#queue = new WaitQueue(options.maxWorkers, options.backlog, (client) => {
      let worker = this.#start();
      const { connection, closed } = this.serveWith(client, (task) => {
        // A crashed thread is replaced for this client's next task; the task it held got WORKER_CRASHED.
        if (!this.#workers.has(worker)) worker = this.#start();
        return worker.run(task);
      });
      // An ended connection runs nothing more: its thread goes at once, and with it the slot.
      // (It stays in #workers until it is gone, so stop() waits for it too.)
      const released = connection.ended.then(async () => {
        await worker.terminate();
        this.#workers.delete(worker);
      });
      return { released, closed };
    });
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#queue.admit(socket, context);
  }

  #start(): ThreadWorker {
    const worker = this.spawn((w) => this.#workers.delete(w));
    this.#workers.add(worker);
    return worker;
  }

  drain(): void {
    super.drain();
    this.#queue.close((client) => this.serveWith(client, () => Promise.reject(new ShuttingDownError()), true).closed);
  }

  async stop(): Promise<void> {
    this.#queue.destroyWaiting();
    this.connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await Promise.all([...this.#workers].map((w) => w.terminate()));
    await this.connections.closedAll();
  }
}

/** A fixed pool of threads runs every client's tasks; each task goes to the least busy thread. */
class PoolDesign extends ThreadDesign {
  readonly strategy = 'pool';
  #pool: ThreadWorker[] = [];
  #last = -1; // index of the thread picked last
  #stopping = false;

  async start(logger: Logger): Promise<void> {
    await super.start(logger);
    for (let i = 0; i < this.options.poolSize; i++) this.#pool.push(this.#spawnAt(i));
    await Promise.all(this.#pool.map((w) => new Promise((resolve) => w.worker.once('online', resolve))));
  }

  #spawnAt(index: number): ThreadWorker {
    return this.spawn((dead) => {
      if (this.#stopping || this.#pool[index] !== dead) return;
      this.#pool[index] = this.#spawnAt(index);
      this.logger?.info('worker-replaced', `Worker thread ${dead.threadId} replaced by ${this.#pool[index]!.threadId}`);
    });
  }

  /**
   * The least busy thread; ties go round-robin (the scan starts after the last pick), so idle threads
   * share instant tasks instead of thread 0 taking them all.
   */
  #pick(): ThreadWorker {
    const n = this.#pool.length;
    let best = this.#pool[(this.#last + 1) % n]!;
    for (let k = 2; k <= n; k++) {
      const w = this.#pool[(this.#last + k) % n]!;
      if (w.inFlight < best.inFlight) best = w;
    }
    this.#last = this.#pool.indexOf(best);
    return best;
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.serveWith({ socket, context, head: null }, (task) => this.#pick().run(task)).closed;
  }

  /** For tests and demos: kill pool thread `index` as a crash would. */
  killWorker(index: number): number | null {
    const w = this.#pool[index];
    if (!w) return null;
    void w.worker.terminate();
    return w.threadId;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await Promise.all(this.#pool.map((w) => w.terminate()));
    await this.connections.closedAll();
  }
}

export function resolveOptions(options?: MtServerOptions): ResolvedMtServerOptions {
  return resolveExecutorServerOptions(options, { maxWorkers: DEFAULT_MAX_WORKERS });
}

/** A running multi-threaded server. */
export class MtServer extends TaskServer {
  readonly #design: ThreadDesign;
  constructor(design: ThreadDesign, options: ResolvedMtServerOptions) {
    super(design, options);
    this.#design = design;
  }

  /**
   * Experimental, for tests and demos: kills pool thread `index` as a crash would (strategy `pool`
   * only). Resolves with the killed thread's id, or null.
   */
  experimental_killWorker(index: number): number | null {
    return this.#design instanceof PoolDesign ? this.#design.killWorker(index) : null;
  }
}

/**
 * Starts a multi-threaded server and resolves once it is listening (and, for `pool`, once every thread
 * is online). Read the bound port from `server.address.port`.
 */
export async function startServer(options?: MtServerOptions): Promise<MtServer> {
  const resolved = resolveOptions(options);
  const design = resolved.strategy === 'pool' ? new PoolDesign(resolved) : new PerConnectionDesign(resolved);
  const server = new MtServer(design, resolved);
  await server.listen();
  return server;
}
