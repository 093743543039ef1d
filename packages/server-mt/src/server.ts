import type { Socket } from 'node:net';
import { ShuttingDownError, type Task } from '@socketlab/protocol';
import {
  ConnectionSet, DEFAULT_EXECUTOR_OPTIONS, EXECUTOR_STRATEGIES, TaskServer, resolveExecutorServerOptions, serveSocket,
  type ConnectionContext, type ExecutorServerOptions, type ExecutorStrategy, type ResolvedExecutorServerOptions, type Design, type Logger, type TaskValue,
} from '@socketlab/protocol/server';
import { ThreadWorker } from './thread-worker.ts';

export type MtStrategy = ExecutorStrategy;
/** See ExecutorServerOptions: `strategy` (`per-connection` | `pool`) and `poolSize`, plus the common options. */
export type MtServerOptions = ExecutorServerOptions;
export type ResolvedMtServerOptions = ResolvedExecutorServerOptions;
export const DEFAULT_OPTIONS = DEFAULT_EXECUTOR_OPTIONS;
export const STRATEGIES = EXECUTOR_STRATEGIES;

interface WorkerCounts {
  alive: number;
  started: number;
  crashed: number;
}

/**
 * Shared by both strategies: socket I/O stays on the main thread (Node 20 cannot move a socket into a
 * worker thread), and each task is posted to a thread that runs it.
 */
abstract class ThreadDesign implements Design {
  readonly design = 'mt';
  abstract readonly strategy: MtStrategy;
  readonly pauseOnConnect = false;
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

  protected serveWith(socket: Socket, context: ConnectionContext, run: (task: Task) => Promise<TaskValue>) {
    const connection = serveSocket(socket, {
      limits: this.options.limits,
      idleTimeoutMs: this.options.idleTimeoutMs,
      run,
      logger: context.logger,
      counters: context.counters,
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

/** The lesson's design: a thread per client, started when it connects and stopped when it leaves. */
class PerConnectionDesign extends ThreadDesign {
  readonly strategy = 'per-connection';
  readonly #workers = new Set<ThreadWorker>();

  async serve(socket: Socket, context: ConnectionContext): Promise<void> {
    let worker = this.#start();
    const { closed } = this.serveWith(socket, context, (task) => {
      // A crashed thread is replaced for this client's next task; the task it held got WORKER_CRASHED.
      if (!this.#workers.has(worker)) worker = this.#start();
      return worker.run(task);
    });
    await closed;
    this.#workers.delete(worker);
    await worker.terminate();
  }

  #start(): ThreadWorker {
    const worker = this.spawn((w) => this.#workers.delete(w));
    this.#workers.add(worker);
    return worker;
  }

  async stop(): Promise<void> {
    this.connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await Promise.all([...this.#workers].map((w) => w.terminate()));
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
    return this.serveWith(socket, context, (task) => this.#pick().run(task)).closed;
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
  }
}

export function resolveOptions(options?: MtServerOptions): ResolvedMtServerOptions {
  return resolveExecutorServerOptions(options);
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
