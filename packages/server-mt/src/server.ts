import type { Socket } from 'node:net';
import { ShuttingDownError, type Task } from '@socketlab/protocol';
import {
  ConnectionSet, DEFAULT_EXECUTOR_OPTIONS, EXECUTOR_STRATEGIES, ExecutorPool, Executors, TaskServer, WaitQueue, resolveExecutorServerOptions, serveSocket,
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

/**
 * Shared by both strategies: socket I/O stays on the main thread, and each task is posted to a thread
 * that runs it. (Node 24+ can transfer a socket to a worker thread, `detectRuntime().socketTransfer`;
 * this design does not use it yet.)
 */
abstract class ThreadDesign implements Design {
  readonly design = 'mt';
  readonly strategy: MtStrategy;
  // Paused until served: a per-connection client may have to wait for a thread (maxWorkers).
  readonly pauseOnConnect = true;
  protected readonly options: ResolvedMtServerOptions;
  protected readonly connections = new ConnectionSet();
  protected readonly executors: Executors<ThreadWorker>;

  constructor(options: ResolvedMtServerOptions, strategy: MtStrategy) {
    this.options = options;
    this.strategy = strategy;
    const context = { design: this.design, strategy: this.strategy };
    this.executors = new Executors('thread', (report) => new ThreadWorker(context, report));
  }

  async start(logger: Logger): Promise<void> {
    this.executors.logger = logger;
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

  drain(): void {
    this.connections.shutdownAll();
  }

  async stop(): Promise<void> {
    this.connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await this.executors.stopAll();
    await this.connections.closedAll();
  }

  workerStats() {
    return this.executors.counts();
  }
}

/**
 * The lesson's design: a thread per client, started when its turn comes and stopped when it leaves. At
 * most `maxWorkers` threads at once; further clients wait in arrival order (the shared WaitQueue).
 */
class PerConnectionDesign extends ThreadDesign {
  readonly #queue: WaitQueue;

  constructor(options: ResolvedMtServerOptions) {
    super(options, 'per-connection');
    this.#queue = new WaitQueue(options.maxWorkers, options.backlog, (client) => {
      let worker = this.executors.spawn();
      const { connection, closed } = this.serveWith(client, (task) => {
        // A crashed thread is replaced for this client's next task; the task it held got WORKER_CRASHED.
        if (!this.executors.alive.has(worker)) worker = this.executors.spawn();
        return worker.run(task);
      });
      // An ended connection runs nothing more: its thread goes at once, and with it the slot.
      const released = connection.ended.then(() => worker.terminate());
      return { released, closed };
    });
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#queue.admit(socket, context);
  }

  drain(): void {
    super.drain();
    this.#queue.close((client) => this.serveWith(client, () => Promise.reject(new ShuttingDownError()), true).closed);
  }

  async stop(): Promise<void> {
    this.#queue.destroyWaiting();
    await super.stop();
  }
}

/** A fixed pool of threads (the shared ExecutorPool) runs every client's tasks; each task goes to the least busy thread. */
class PoolDesign extends ThreadDesign {
  readonly pool: ExecutorPool<ThreadWorker>;

  constructor(options: ResolvedMtServerOptions) {
    super(options, 'pool');
    this.pool = new ExecutorPool(this.executors, options.poolSize);
  }

  async start(logger: Logger): Promise<void> {
    await super.start(logger);
    await this.pool.start();
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.serveWith({ socket, context, head: null }, (task) => this.pool.pick().run(task)).closed;
  }

  async stop(): Promise<void> {
    this.pool.markStopping();
    await super.stop();
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
    return this.#design instanceof PoolDesign ? this.#design.pool.kill(index) : null;
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
