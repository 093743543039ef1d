import type { Socket } from 'node:net';
import { ShuttingDownError } from '@socketlab/protocol';
import {
  ConnectionSet, TaskServer, WaitQueue, checkOneOf, inlineRunner, resolveServerOptions, serveSocket,
  type Admitted, type CommonServerOptions, type ConnectionContext, type Design, type Logger, type ProtocolConnection, type ResolvedCommonServerOptions, type TaskRunner,
} from '@socketlab/protocol/server';

export type SingleMode = 'iterative' | 'event-loop';

export interface SingleServerOptions extends CommonServerOptions {
  /**
   * `iterative` (default, the lesson's design): one client at a time; the others wait, connected and
   * unanswered, and are served in arrival order. `event-loop`: every client at once on the one thread.
   */
  mode?: SingleMode;
}

export type ResolvedSingleServerOptions = Readonly<ResolvedCommonServerOptions & { mode: SingleMode }>;

export const DEFAULT_OPTIONS = Object.freeze({ mode: 'iterative' as SingleMode });

export const MODES: readonly SingleMode[] = ['iterative', 'event-loop'];

/**
 * The lesson's Part 1 server: one client at a time, the others waiting in arrival order. libuv always
 * accepts connections, so "waiting in the listen backlog" becomes waiting in the shared WaitQueue
 * (capacity 1, bounded by `backlog`): the client is connected and unanswered, exactly as with a kernel
 * backlog. The next client starts as soon as the current one is *ended* (EXIT, an error, idle), as the
 * lesson's `conn.close()` does; the ended socket lingers on its own until its peer closes.
 */
class IterativeDesign implements Design {
  readonly design = 'single';
  readonly strategy = 'iterative';
  readonly pauseOnConnect = true;
  readonly #options: ResolvedSingleServerOptions;
  readonly #run: TaskRunner;
  readonly #queue: WaitQueue;
  readonly #connections = new ConnectionSet();
  #draining = false;
  #logger: Logger | null = null;

  constructor(options: ResolvedSingleServerOptions) {
    this.#options = options;
    // Tasks run right here, on the one thread: SLEEP and FIB stall everything this process does.
    this.#run = inlineRunner({ design: this.design, strategy: this.strategy }, () => this.#draining);
    this.#queue = new WaitQueue(1, options.backlog, (client) => {
      const connection = this.#serve(client, false);
      const closed = this.#connections.add(connection);
      const released = connection.ended.then(() => {
        if (!this.#draining && this.#queue.waiting === 0) this.#logger?.info('waiting', 'Waiting for a client to connect...');
      });
      return { released, closed };
    });
  }

  #serve(client: Admitted, draining: boolean): ProtocolConnection {
    return serveSocket(client.socket, {
      limits: this.#options.limits,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      lingerMs: this.#options.lingerMs,
      run: this.#run,
      logger: client.context.logger,
      counters: client.context.counters,
      head: client.head,
      draining,
    });
  }

  onListening(logger: Logger): void {
    this.#logger = logger;
    logger.info('waiting', 'Waiting for a client to connect...');
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#queue.admit(socket, context);
  }

  drain(): void {
    this.#draining = true;
    this.#connections.shutdownAll();
    // Clients still waiting: each request they sent gets SHUTTING_DOWN, then they are closed.
    this.#queue.close((client) => this.#connections.add(this.#serve(client, true)));
  }

  async stop(): Promise<void> {
    this.#draining = true;
    this.#queue.destroyWaiting();
    this.#connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await this.#connections.closedAll();
  }

  workerStats() {
    return { alive: 0, started: 0, crashed: 0 };
  }
}

/** Every client at once on the one thread: Node's natural design. WAIT overlaps; SLEEP and FIB stall all. */
class EventLoopDesign implements Design {
  readonly design = 'single';
  readonly strategy = 'event-loop';
  readonly pauseOnConnect = false;
  readonly #options: ResolvedSingleServerOptions;
  readonly #run: TaskRunner;
  readonly #connections = new ConnectionSet();

  constructor(options: ResolvedSingleServerOptions) {
    this.#options = options;
    this.#run = inlineRunner({ design: this.design, strategy: this.strategy }, () => this.#connections.draining);
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#connections.add(
      serveSocket(socket, {
        limits: this.#options.limits,
        idleTimeoutMs: this.#options.idleTimeoutMs,
        lingerMs: this.#options.lingerMs,
        run: this.#run,
        logger: context.logger,
        counters: context.counters,
      }),
    );
  }

  drain(): void {
    this.#connections.shutdownAll();
  }

  async stop(): Promise<void> {
    this.#connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
    await this.#connections.closedAll();
  }

  workerStats() {
    return { alive: 0, started: 0, crashed: 0 };
  }
}

export function resolveOptions(options?: SingleServerOptions): ResolvedSingleServerOptions {
  return resolveServerOptions(options, { ...DEFAULT_OPTIONS }, { mode: (name, v) => checkOneOf(name, v, MODES) });
}

/**
 * Starts a single-process server and resolves once it is listening.
 * Read the bound port from `server.address.port` (useful with the default `port: 0`).
 */
export async function startServer(options?: SingleServerOptions): Promise<TaskServer> {
  const resolved = resolveOptions(options);
  const design = resolved.mode === 'iterative' ? new IterativeDesign(resolved) : new EventLoopDesign(resolved);
  const server = new TaskServer(design, resolved);
  await server.listen();
  return server;
}
