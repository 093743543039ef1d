import type { Socket } from 'node:net';
import {
  DEFAULT_EXECUTOR_OPTIONS, EXECUTOR_STRATEGIES, TaskServer, resolveExecutorServerOptions,
  type ConnectionContext, type ExecutorServerOptions, type ExecutorStrategy, type ResolvedExecutorServerOptions, type Design, type Logger,
} from '@socketlab/protocol/server';
import type { ChildConfig } from './messages.ts';
import { ProcessWorker } from './process-worker.ts';

export type MpStrategy = ExecutorStrategy;
/** See ExecutorServerOptions: `strategy` (`per-connection` | `pool`) and `poolSize`, plus the common options. */
export type MpServerOptions = ExecutorServerOptions;
export type ResolvedMpServerOptions = ResolvedExecutorServerOptions;
export const DEFAULT_OPTIONS = DEFAULT_EXECUTOR_OPTIONS;
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
    return { strategy: this.strategy, limits: this.options.limits, idleTimeoutMs: this.options.idleTimeoutMs, log: this.options.log, quiet: this.options.quiet };
  }

  protected spawn(onCrash?: (w: ProcessWorker) => void): ProcessWorker {
    this.counts.alive++;
    this.counts.started++;
    // Per-connection children hold one client each: keeping the parent's copy of that socket is cheap
    // next to a whole process, and lets the parent answer the client if its child crashes.
    const worker = new ProcessWorker(this.childConfig, this.strategy === 'per-connection', (w, crashed, detail) => {
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

  drain(): void {
    this.stopping = true;
    for (const w of this.workers) {
      w.markStopping();
      w.drain();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.workers].map((w) => w.stop()));
  }

  workerStats() {
    return { ...this.counts };
  }
}

/** The lesson's design: fork() per client; the child owns the socket and exits when the client leaves. */
class PerConnectionDesign extends ProcessDesign {
  readonly strategy = 'per-connection';

  async serve(socket: Socket, context: ConnectionContext): Promise<void> {
    const worker = this.spawn();
    await worker.handOff(socket, context.id, context.counters);
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
  return resolveExecutorServerOptions(options);
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
