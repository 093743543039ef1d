import type { Socket } from 'node:net';
import { ShuttingDownError, checkOneOf, executeTask, socketTransferSupported, type ExecutionContext } from '@socketlab/protocol';
import {
  ConnectionSet, DEFAULT_EXECUTOR_OPTIONS, EXECUTOR_STRATEGIES, ExecutorPool, Executors, Spares, TaskServer, WaitQueue, occupiesThread, resolveExecutorServerOptions, serveSocket,
  type Admitted, type Assignment, type ConnectionContext, type ExecutorServerOptions, type ExecutorStrategy, type ResolvedExecutorServerOptions, type Design, type Logger, type TaskRunner,
} from '@socketlab/protocol/server';
import { ThreadWorker } from './thread-worker.ts';

export type MtStrategy = ExecutorStrategy;
/** Who reads and writes a per-connection client's socket: `auto` (its own thread where the runtime can transfer sockets) or `main`. */
export type SocketIo = 'auto' | 'main';
export const SOCKET_IO: readonly SocketIo[] = ['auto', 'main'];
/** See ExecutorServerOptions (`strategy`, `poolSize`, `maxWorkers`, `minSpares`, `maxSpares`, `maxConnectionsPerWorker`, plus the common options), and `socketIo`. */
export interface MtServerOptions extends ExecutorServerOptions {
  /**
   * Strategy `per-connection`: `auto` (default) hands each accepted socket to its client's thread, which
   * then reads, runs and writes itself, where the runtime can transfer a socket to a worker thread
   * (`detectRuntime().socketTransfer`, Node 24+); elsewhere, and with `main`, the main thread does every
   * client's socket I/O and posts each task to the client's thread. The pool always uses `main`.
   */
  socketIo?: SocketIo;
}
export type ResolvedMtServerOptions = ResolvedExecutorServerOptions & { readonly socketIo: SocketIo };
/**
 * Most threads at once with strategy `per-connection`: 1024. Measured on the 2-core reference machine
 * (Node 26.12.1), an idle worker thread adds ~7 MiB of RSS to the server (tools/bench, `cap`), so the
 * cap bounds them to ~7 GiB in the worst case, under the 24 GiB machine's memory, while leaving ten
 * times the lesson's 100 simultaneous clients to run at once.
 */
export const DEFAULT_MAX_WORKERS = 1024;
export const DEFAULT_OPTIONS = Object.freeze({ ...DEFAULT_EXECUTOR_OPTIONS, maxWorkers: DEFAULT_MAX_WORKERS, socketIo: 'auto' as SocketIo });
export const STRATEGIES = EXECUTOR_STRATEGIES;

/**
 * Shared by both strategies: where the main thread does a client's socket I/O, each task is posted to a
 * thread that runs it. (The per-connection strategy can also hand the socket to the thread: below.)
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
    const o = options;
    const config = { context: { design: this.design, strategy: this.strategy }, host: { limits: o.limits, idleTimeoutMs: o.idleTimeoutMs, lingerMs: o.lingerMs, log: o.log, quiet: o.quiet } };
    this.executors = new Executors('thread', (report) => new ThreadWorker(config, report));
  }

  async start(logger: Logger): Promise<void> {
    this.executors.logger = logger;
  }

  protected serveWith(client: Admitted, run: TaskRunner, draining = false) {
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
    for (const w of this.executors.alive) w.drain();
  }

  async stop(): Promise<void> {
    this.connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await this.executors.stopAll();
    await this.connections.closedAll();
  }

  workerStats() {
    return this.executors.counts();
  }

  /** Thread ids of the worker threads alive now. */
  get threadIds(): number[] {
    return [...this.executors.alive].map((w) => w.id);
  }
}

/**
 * The lesson's design: a thread per client, started when its turn comes and stopped when it leaves. At
 * most `maxWorkers` threads at once; further clients wait in arrival order (the shared WaitQueue). The
 * shared Spares policy keeps threads ahead of their clients (`minSpares`) and, with
 * `maxConnectionsPerWorker` above 1, recycles them: a thread serves one client for its whole connection,
 * then waits, idle, for the next (Apache's worker model, a thread per connection).
 *
 * Where the runtime can transfer a socket (`io` = `thread`), the client's thread owns its socket, as in
 * the lesson: the main thread only accepts and hands over. A socket already read cannot be transferred
 * (a client that sent bytes while it waited at the worker cap): that client is served with main-thread
 * I/O, as on a runtime without the feature, and counted in `stats().io.main`.
 */
class PerConnectionDesign extends ThreadDesign {
  readonly io: 'thread' | 'main';
  readonly #queue: WaitQueue;
  readonly #spares: Spares<ThreadWorker>;
  readonly #io = { thread: 0, main: 0 };

  constructor(options: ResolvedMtServerOptions) {
    super(options, 'per-connection');
    this.io = options.socketIo === 'auto' && socketTransferSupported() ? 'thread' : 'main';
    this.#spares = new Spares(this.executors, options, () => this.executors.counts().alive < options.maxWorkers);
    this.#queue = new WaitQueue(options.maxWorkers, options.backlog, (client) =>
      this.#spares.serve((worker) => this.#ownedBy(worker, client) ?? this.#servedFor(worker, client)),
    );
  }

  /** The thread owns the socket: it is free for another client once the connection has closed (and it is alive: Spares checks). */
  #ownedBy(worker: ThreadWorker, client: Admitted): Assignment<ThreadWorker> | null {
    if (this.io !== 'thread' || client.head) return null;
    const closed = worker.own(client.socket, client.context.id, client.context.counters);
    if (!closed) return null;
    this.#io.thread++;
    return { closed, done: closed.then(() => ({ worker, free: true })) };
  }

  /** The main thread does the I/O and posts each task to the client's thread. */
  #servedFor(first: ThreadWorker, client: Admitted): Assignment<ThreadWorker> {
    this.#io.main++;
    let worker = first;
    const { connection, closed } = this.serveWith(client, (task) => {
      // A crashed thread is replaced for this client's next task; the task it held got WORKER_CRASHED.
      if (!this.executors.alive.has(worker)) worker = this.#spares.spawn();
      return worker.run(task);
    });
    // An ended connection runs nothing more; its thread is free unless a task of this client still runs on it.
    return { closed, done: connection.ended.then(() => ({ worker, free: !worker.busy })) };
  }

  async start(logger: Logger): Promise<void> {
    await super.start(logger);
    await this.#spares.start();
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#queue.admit(socket, context);
  }

  ioStats() {
    return { ...this.#io };
  }

  drain(): void {
    void this.#spares.stop();
    super.drain();
    this.#queue.close((client) => this.serveWith(client, () => Promise.reject(new ShuttingDownError()), true).closed);
  }

  async stop(): Promise<void> {
    this.#queue.destroyWaiting();
    await this.#spares.stop();
    await super.stop();
  }
}

/**
 * A fixed pool of threads (the shared ExecutorPool) runs the tasks that occupy a thread (SLEEP, FIB,
 * HASH, long UPPER and REVERSE: occupiesThread), each on the least busy thread, and INFO. The main
 * thread, which reads and writes every socket, runs the rest itself (PING, ECHO, short UPPER and
 * REVERSE, WAIT's timer): sending them over would cost two postMessages and two thread wake-ups for
 * microseconds of work and keep no thread free (docs/protocol.md, "Where tasks run"). The connection
 * keeps replies in request order whichever thread answers first.
 */
class PoolDesign extends ThreadDesign {
  readonly io = 'main' as const;
  readonly pool: ExecutorPool<ThreadWorker>;
  readonly #context: ExecutionContext;

  constructor(options: ResolvedMtServerOptions) {
    super(options, 'pool');
    this.pool = new ExecutorPool(this.executors, options.poolSize);
    this.#context = { design: this.design, strategy: this.strategy, io: 'main' };
  }

  /**
   * INFO crosses too, though it returns at once: it is how a client sees the pool (which thread runs its
   * blocking work), and what it reports must be a pool thread.
   */
  readonly #run: TaskRunner = (task) =>
    task.name === 'INFO' || occupiesThread(task) ? this.pool.pick().run(task) : executeTask(task, this.#context);

  async start(logger: Logger): Promise<void> {
    await super.start(logger);
    await this.pool.start();
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.serveWith({ socket, context, head: null }, this.#run).closed;
  }

  async stop(): Promise<void> {
    this.pool.markStopping();
    await super.stop();
  }
}

export function resolveOptions(options?: MtServerOptions): ResolvedMtServerOptions {
  return resolveExecutorServerOptions(options, { maxWorkers: DEFAULT_MAX_WORKERS }, {
    defaults: { socketIo: DEFAULT_OPTIONS.socketIo },
    check: { socketIo: (name, v) => checkOneOf(name, v, SOCKET_IO) },
  });
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

  /** Thread ids of the worker threads alive now (spares included). */
  get workerThreadIds(): number[] {
    return this.#design.threadIds;
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
