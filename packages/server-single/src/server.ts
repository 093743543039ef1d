import type { Socket } from 'node:net';
import { BacklogFullError, ShuttingDownError, executeTask, type ExecutionContext, type Task } from '@socketlab/protocol';
import {
  ConnectionSet, TaskServer, checkOneOf, rejectSocket, resolveServerOptions, serveSocket,
  type CommonServerOptions, type ConnectionContext, type Design, type Logger, type ProtocolConnection, type ResolvedCommonServerOptions,
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

/** Tasks run right here, on the one thread: SLEEP and FIB stall everything this process does. */
function inlineRunner(context: ExecutionContext) {
  return (task: Task) => executeTask(task, context);
}

/**
 * The lesson's Part 1 server. libuv always accepts connections, so "waiting in the listen backlog"
 * becomes waiting in a FIFO of accepted, unread sockets (pauseOnConnect): the client is connected and
 * unanswered, exactly as with a kernel backlog. The FIFO is bounded by `backlog`.
 */
class IterativeDesign implements Design {
  readonly design = 'single';
  readonly strategy = 'iterative';
  readonly pauseOnConnect = true;
  readonly #options: ResolvedSingleServerOptions;
  readonly #run: (task: Task) => ReturnType<typeof executeTask>;
  readonly #queue: { socket: Socket; context: ConnectionContext; done: () => void }[] = [];
  #current: ProtocolConnection | null = null;
  #draining = false;
  #logger: Logger | null = null;

  constructor(options: ResolvedSingleServerOptions) {
    this.#options = options;
    this.#run = inlineRunner({ design: this.design, strategy: this.strategy });
  }

  onListening(logger: Logger): void {
    this.#logger = logger;
    logger.info('waiting', 'Waiting for a client to connect...');
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    if (this.#queue.length >= this.#options.backlog) {
      return context.reject(socket, new BacklogFullError(`wait queue is full (backlog ${this.#options.backlog})`));
    }
    return new Promise((resolve) => {
      const entry = { socket, context, done: resolve };
      this.#queue.push(entry);
      // A waiting client may give up (reset) before its turn.
      socket.once('close', () => {
        const i = this.#queue.indexOf(entry);
        if (i !== -1) {
          this.#queue.splice(i, 1);
          resolve();
        }
      });
      socket.on('error', () => {});
      this.#next();
    });
  }

  #next(): void {
    if (this.#current || this.#draining) return;
    const entry = this.#queue.shift();
    if (!entry) return;
    const connection = serveSocket(entry.socket, {
      limits: this.#options.limits,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      run: this.#run,
      logger: entry.context.logger,
      counters: entry.context.counters,
    });
    this.#current = connection;
    void connection.closed.then(() => {
      this.#current = null;
      entry.done();
      if (!this.#draining && this.#queue.length === 0) this.#logger?.info('waiting', 'Waiting for a client to connect...');
      this.#next();
    });
  }

  drain(): void {
    this.#draining = true;
    this.#current?.shutdown();
    for (const entry of this.#queue.splice(0)) void rejectSocket(entry.socket, new ShuttingDownError()).then(entry.done);
  }

  async stop(): Promise<void> {
    this.#draining = true;
    this.#current?.destroy(new ShuttingDownError('drain timeout passed; the server is closing'));
    for (const entry of this.#queue.splice(0)) {
      entry.socket.destroy();
      entry.done();
    }
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
  readonly #run: (task: Task) => ReturnType<typeof executeTask>;
  readonly #connections = new ConnectionSet();

  constructor(options: ResolvedSingleServerOptions) {
    this.#options = options;
    this.#run = inlineRunner({ design: this.design, strategy: this.strategy });
  }

  serve(socket: Socket, context: ConnectionContext): Promise<void> {
    return this.#connections.add(
      serveSocket(socket, {
        limits: this.#options.limits,
        idleTimeoutMs: this.#options.idleTimeoutMs,
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
