import type { Socket } from 'node:net';
import { ShuttingDownError } from '@socketlab/protocol';
import {
  ConnectionSet, DEFAULT_EXECUTOR_OPTIONS, EXECUTOR_STRATEGIES, TaskServer, WaitQueue, resolveExecutorServerOptions, serveSocket,
  type Admitted, type ConnectionContext, type ExecutorServerOptions, type ExecutorStrategy, type ResolvedExecutorServerOptions, type Design, type Logger,
} from '@socketlab/protocol/server';
import type { ChildConfig } from './messages.ts';
import { ProcessWorker } from './process-worker.ts';

export type MpStrategy = ExecutorStrategy;
/** See ExecutorServerOptions: `strategy` (`per-connection` | `pool`) and `poolSize`, plus the common options. */
export type MpServerOptions = ExecutorServerOptions;
export type ResolvedMpServerOptions = ResolvedExecutorServerOptions;
/**
 * Most processes at once with strategy `per-connection`: 128. Measured on the 2-core reference machine
 * (Node 26.12.1), an idle child process holds ~48 MiB of RSS (tools/bench, `cap`), so the cap bounds
 * them to ~6 GiB, a quarter of the 24 GiB machine, while the lesson's 100 simultaneous clients still
 * each get a process at once.
 */
export const DEFAULT_MAX_WORKERS = 128;
export const DEFAULT_OPTIONS = Object.freeze({ ...DEFAULT_EXECUTOR_OPTIONS, maxWorkers: DEFAULT_MAX_WORKERS });
export const STRATEGIES = EXECUTOR_STRATEGIES;

/**
 * The parent accepts (paused: it never reads) and hands each socket to a child process, which owns it
 * from then on. Both strategies share this; they differ in when children are started and stopped.
 */
abstract class ProcessDesign implements Design {
  readonly design = 'mp';
  abstract readonly strategy: MpStrategy;
  readonly pauseOnConnect = true;
  protected readonly options: ResolvedMpServerOptions;
  protected readonly workers = new Set<ProcessWorker>();
  protected readonly counts = { alive: 0, started: 0, crashed: 0 };
  protected logger: Logger | null = null;
  protected stopping = false;

  constructor(options: ResolvedMpServerOptions) {
    this.options = options;
  }

  protected get childConfig(): ChildConfig {
    const o = this.options;
    return { strategy: this.strategy, limits: o.limits, idleTimeoutMs: o.idleTimeoutMs, lingerMs: o.lingerMs, log: o.log, quiet: o.quiet };
  }

  protected spawn(onCrash?: (w: ProcessWorker) => void): ProcessWorker {
    this.counts.alive++;
    this.counts.started++;
    // The parent keeps its own (unread) copy of every socket it hands over, so that if the child dies
    // the parent can still answer that client with SOCKETLAB_ERR_WORKER_CRASHED (a few KiB per connection).
    const worker = new ProcessWorker(this.childConfig, true, (w, crashed, detail) => {
      this.counts.alive--;
      this.workers.delete(w);
      if (crashed) {
        this.counts.crashed++;
        this.logger?.error('worker-crash', `Worker process ${w.pid} ${detail}`, { workerPid: w.pid });
        onCrash?.(w);
      }
    });
    this.workers.add(worker);
    return worker;
  }

  async start(logger: Logger): Promise<void> {
    this.logger = logger;
  }

  /** Pids of the child processes alive now. */
  get pids(): number[] {
    return [...this.workers].map((w) => w.pid);
  }

  abstract serve(socket: Socket, context: ConnectionContext): Promise<void>;

  /** Connections the parent serves itself: only clients still waiting at shutdown, answered SHUTTING_DOWN. */
  protected readonly local = new ConnectionSet();

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
    this.stopping = true;
    for (const w of this.workers) {
      w.markStopping();
      w.drain();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.local.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await Promise.all([...this.workers].map((w) => w.stop()));
    await this.local.closedAll();
  }

  workerStats() {
    return { ...this.counts };
  }
}

/**
 * The lesson's design: fork() per client; the child owns the socket and exits when the client leaves.
 * At most `maxWorkers` children at once; further clients wait in arrival order (the shared WaitQueue).
 */
class PerConnectionDesign extends ProcessDesign {
  readonly strategy = 'per-connection';
  readonly #queue: WaitQueue;

  constructor(options: ResolvedMpServerOptions) {
    super(options);
    this.#queue = new WaitQueue(options.maxWorkers, options.backlog, ({ socket, context, head }) => {
      const worker = this.spawn();
      const closed = worker.handOff(socket, context.id, context.counters, head);
      // The slot is free once the child has exited, not merely once its client has gone.
      return { released: worker.exited, closed };
    });
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#queue.admit(socket, context);
  }

  drain(): void {
    super.drain();
    this.#queue.close((client) => this.drainLocally(client));
  }

  async stop(): Promise<void> {
    this.#queue.destroyWaiting();
    await super.stop();
  }
}

/** Pre-forked processes; each connection goes to the one serving the fewest. A dead one is replaced. */
class PoolDesign extends ProcessDesign {
  readonly strategy = 'pool';
  #pool: ProcessWorker[] = [];

  async start(logger: Logger): Promise<void> {
    await super.start(logger);
    for (let i = 0; i < this.options.poolSize; i++) this.#pool.push(this.#spawnAt(i));
    await Promise.all(this.#pool.map((w) => w.ready));
  }

  #spawnAt(index: number): ProcessWorker {
    return this.spawn((dead) => {
      if (this.stopping || this.#pool[index] !== dead) return;
      this.#pool[index] = this.#spawnAt(index);
      this.logger?.info('worker-replaced', `Worker process ${dead.pid} replaced by ${this.#pool[index]!.pid}`);
    });
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    let best = this.#pool[0]!;
    for (const w of this.#pool) if (w.load < best.load) best = w;
    return best.handOff(socket, context.id, context.counters);
  }

  killWorker(index: number): number | null {
    const w = this.#pool[index];
    if (!w) return null;
    w.child.kill('SIGKILL');
    return w.pid;
  }
}

export function resolveOptions(options?: MpServerOptions): ResolvedMpServerOptions {
  return resolveExecutorServerOptions(options, { maxWorkers: DEFAULT_MAX_WORKERS });
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
    return this.#design instanceof PoolDesign ? this.#design.killWorker(index) : null;
  }

  /** Pids of the child processes alive now. */
  get workerPids(): number[] {
    return this.#design.pids;
  }
}

/**
 * Starts a multi-process server and resolves once it is listening (and, for `pool`, once every process
 * is ready). Read the bound port from `server.address.port`.
 */
export async function startServer(options?: MpServerOptions): Promise<MpServer> {
  const resolved = resolveOptions(options);
  const design = resolved.strategy === 'pool' ? new PoolDesign(resolved) : new PerConnectionDesign(resolved);
  const server = new MpServer(design, resolved);
  await server.listen();
  return server;
}
