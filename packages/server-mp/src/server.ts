import type { Socket } from 'node:net';
import { InvalidOptionError, ShuttingDownError } from '@socketlab/protocol';
import {
  ConnectionSet, DEFAULT_EXECUTOR_OPTIONS, EXECUTOR_STRATEGIES, ExecutorPool, Executors, Spares, TaskServer, WaitQueue, checkOneOf, checkSpareOptionsApply, resolveExecutorServerOptions, serveSocket,
  type Admitted, type ConnectionContext, type ExecutorServerOptions, type ExecutorStrategy, type Design, type Logger,
} from '@socketlab/protocol/server';
import type { ChildConfig } from './messages.ts';
import type { CrashAnswer, MpServerOptions, MpStrategy, PreforkAccept, ResolvedMpServerOptions } from './options.ts';
import { ProcessWorker } from './process-worker.ts';
import { PREFORK_ACCEPT, PreforkServer } from './prefork.ts';

/**
 * Most processes at once with strategy `per-connection`: 128. Measured on the 2-core reference machine
 * (Node 26.12.1), an idle child process holds ~48 MiB of RSS (tools/bench, `cap`), so the cap bounds
 * them to ~6 GiB, a quarter of the 24 GiB machine, while the lesson's 100 simultaneous clients still
 * each get a process at once.
 */
export const DEFAULT_MAX_WORKERS = 128;
export const DEFAULT_OPTIONS = Object.freeze({ ...DEFAULT_EXECUTOR_OPTIONS, maxWorkers: DEFAULT_MAX_WORKERS });
export const STRATEGIES: readonly MpStrategy[] = [...EXECUTOR_STRATEGIES, 'prefork'];
export const DEFAULT_ACCEPT: PreforkAccept = 'rr';
export const CRASH_ANSWERS: readonly CrashAnswer[] = ['copy', 'off'];
export const DEFAULT_CRASH_ANSWER: CrashAnswer = 'copy';

/**
 * The parent accepts (paused: it never reads) and hands each socket to a child process, which owns it
 * from then on. Both strategies share this; they differ in when children are started and stopped.
 */
abstract class ProcessDesign implements Design {
  readonly design = 'mp';
  readonly strategy: MpStrategy;
  readonly pauseOnConnect = true;
  protected readonly options: ResolvedMpServerOptions;
  protected readonly executors: Executors<ProcessWorker>;
  /** Connections the parent serves itself: only clients still waiting at shutdown, answered SHUTTING_DOWN. */
  protected readonly local = new ConnectionSet();

  constructor(options: ResolvedMpServerOptions, strategy: ExecutorStrategy) {
    this.options = options;
    this.strategy = strategy;
    const o = options;
    const config: ChildConfig = { strategy: this.strategy, maxConnections: o.maxConnectionsPerWorker, limits: o.limits, idleTimeoutMs: o.idleTimeoutMs, lingerMs: o.lingerMs, log: o.log, quiet: o.quiet };
    this.executors = new Executors('process', (report) => new ProcessWorker(config, report));
  }

  async start(logger: Logger): Promise<void> {
    this.executors.logger = logger;
  }

  /** Pids of the child processes alive now. */
  get pids(): number[] {
    return [...this.executors.alive].map((w) => w.pid);
  }

  abstract serve(socket: Socket, context: ConnectionContext): Promise<void>;

  protected drainLocally(client: Admitted): Promise<void> {
    const o = this.options;
    const connection = serveSocket(client.socket, {
      limits: o.limits, idleTimeoutMs: o.idleTimeoutMs, lingerMs: o.lingerMs,
      run: () => Promise.reject(new ShuttingDownError()),
      logger: client.context.logger, counters: client.context.counters, head: client.head, draining: true,
    });
    return this.local.add(connection);
  }

  drain(): void {
    for (const w of this.executors.alive) {
      w.markStopping();
      w.drain();
    }
  }

  async stop(): Promise<void> {
    this.local.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await this.executors.stopAll();
    await this.local.closedAll();
  }

  workerStats() {
    return this.executors.counts();
  }
}

/**
 * The lesson's design: fork() per client; the child owns the socket and exits when the client leaves.
 * At most `maxWorkers` children at once; further clients wait in arrival order (the shared WaitQueue).
 * The shared Spares policy keeps children ahead of their clients (`minSpares`) and, with
 * `maxConnectionsPerWorker` above 1, recycles them: a child serves one client for its whole connection,
 * then waits, idle, for the next (Apache's prefork model).
 */
class PerConnectionDesign extends ProcessDesign {
  readonly #queue: WaitQueue;
  readonly #spares: Spares<ProcessWorker>;

  constructor(options: ResolvedMpServerOptions) {
    super(options, 'per-connection');
    this.#spares = new Spares(this.executors, options, () => this.executors.counts().alive < options.maxWorkers);
    // The slot is free once the child is idle again or has exited, not merely once its client has gone
    // (the cap is on children alive). A child that died is not free (Spares sees it is gone).
    this.#queue = new WaitQueue(options.maxWorkers, options.backlog, ({ socket, context, head }) =>
      this.#spares.serve((worker) => {
        const closed = worker.handOff(socket, context.id, context.counters, head);
        return { closed, done: closed.then(() => ({ worker, free: true })) };
      }),
    );
  }

  async start(logger: Logger): Promise<void> {
    await super.start(logger);
    await this.#spares.start();
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#queue.admit(socket, context);
  }

  drain(): void {
    void this.#spares.stop();
    super.drain();
    this.#queue.close((client) => this.drainLocally(client));
  }

  async stop(): Promise<void> {
    this.#queue.destroyWaiting();
    await this.#spares.stop();
    await super.stop();
  }
}

/** Pre-forked processes (the shared ExecutorPool); each connection goes to the one serving the fewest. */
class PoolDesign extends ProcessDesign {
  readonly pool: ExecutorPool<ProcessWorker>;

  constructor(options: ResolvedMpServerOptions) {
    super(options, 'pool');
    this.pool = new ExecutorPool(this.executors, options.poolSize);
  }

  async start(logger: Logger): Promise<void> {
    await super.start(logger);
    await this.pool.start();
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.pool.pick().handOff(socket, context.id, context.counters);
  }

  drain(): void {
    this.pool.markStopping();
    super.drain();
  }

  async stop(): Promise<void> {
    this.pool.markStopping();
    await super.stop();
  }
}

/**
 * Resolves and validates the options. `prefork` is a fixed set of processes like `pool` (same
 * `poolSize`, no use for `maxWorkers` or the spare options), so it is checked as one and then named for what it is.
 */
export function resolveOptions(options?: MpServerOptions): ResolvedMpServerOptions {
  const given = (options ?? {}) as Record<string, unknown>;
  const prefork = typeof given === 'object' && given !== null && given.strategy === 'prefork';
  if (prefork) checkSpareOptionsApply(given, 'prefork');
  for (const key of ['accept', 'crashAnswer']) {
    if (!prefork && typeof given === 'object' && given !== null && given[key] !== undefined) {
      throw new InvalidOptionError(`${key} applies to strategy prefork only (got strategy ${String(given.strategy ?? DEFAULT_OPTIONS.strategy)})`);
    }
  }
  const input = prefork ? { ...given, strategy: 'pool' } : options;
  const resolved = resolveExecutorServerOptions(input as ExecutorServerOptions, { maxWorkers: DEFAULT_MAX_WORKERS }, {
    defaults: { accept: DEFAULT_ACCEPT, crashAnswer: DEFAULT_CRASH_ANSWER },
    check: { accept: (name, v) => checkOneOf(name, v, PREFORK_ACCEPT), crashAnswer: (name, v) => checkOneOf(name, v, CRASH_ANSWERS) },
  });
  return prefork ? Object.freeze({ ...resolved, strategy: 'prefork' as const }) : resolved;
}

/** A running multi-process server. */
export class MpServer extends TaskServer {
  readonly #design: ProcessDesign;
  constructor(design: ProcessDesign, options: ResolvedMpServerOptions) {
    super(design, options);
    this.#design = design;
  }

  /** Experimental, for tests and demos: SIGKILLs pool process `index` (strategy `pool`); returns its pid or null. */
  experimental_killWorker(index: number): number | null {
    return this.#design instanceof PoolDesign ? this.#design.pool.kill(index) : null;
  }

  /** Pids of the child processes alive now. */
  get workerPids(): number[] {
    return this.#design.pids;
  }
}

/**
 * Starts a multi-process server and resolves once it is listening (and, for `pool` and `prefork`, once
 * every process is ready). Read the bound port from `server.address.port`.
 */
export function startServer(options?: MpServerOptions & { strategy?: ExecutorStrategy }): Promise<MpServer>;
export function startServer(options: MpServerOptions & { strategy: 'prefork' }): Promise<PreforkServer>;
export function startServer(options?: MpServerOptions): Promise<MpServer | PreforkServer>;
export async function startServer(options?: MpServerOptions): Promise<MpServer | PreforkServer> {
  const resolved = resolveOptions(options);
  if (resolved.strategy === 'prefork') {
    const prefork = new PreforkServer(resolved, resolved.accept);
    await prefork.listen();
    return prefork;
  }
  const design = resolved.strategy === 'pool' ? new PoolDesign(resolved) : new PerConnectionDesign(resolved);
  const server = new MpServer(design, resolved);
  await server.listen();
  return server;
}
