import net, { type AddressInfo, type Socket } from 'node:net';
import { rejectSocket } from './reject.ts';
import { LateClients, closeAfterPending } from './closing.ts';
import { TooManyConnectionsError, type SocketlabError } from '../errors.ts';
import type { ConnectionCounters } from './connection-options.ts';
import { Logger } from './logger.ts';
import type { ResolvedCommonServerOptions } from './options.ts';

/** Live statistics of a server. */
export interface ServerStats {
  design: string;
  strategy: string;
  connections: {
    /** Open now (served or waiting). */
    active: number;
    /** Accepted since start (including rejected ones). */
    total: number;
    /** Closed since start. */
    closed: number;
    /** Turned away: TOO_MANY_CONNECTIONS, BACKLOG_FULL, or arrived during the shutdown (SHUTTING_DOWN to each request). */
    rejected: number;
  };
  /** Requests answered (with OK or ERR). For server-mp, counted when each connection ends. */
  tasks: number;
  /** ERR replies sent, plus socket errors. */
  errors: number;
  /** Worker threads or processes: alive now, started since start, died unexpectedly. */
  workers: { alive: number; started: number; crashed: number };
  /**
   * server-mt per-connection only: connections whose socket the main thread handed to their own thread
   * (`thread`), and those whose I/O it did itself (`main`: the runtime cannot transfer sockets, or the
   * socket had already been read while it waited for a thread).
   */
  io?: { thread: number; main: number };
}

/** What a design shares with the engine about one connection. */
export interface ConnectionContext {
  readonly id: number;
  readonly logger: Logger;
  readonly counters: ConnectionCounters;
  /** Turns a connection away with one ERR (counted as rejected); resolves once it is closed. */
  reject(socket: Socket, error: SocketlabError): Promise<void>;
}

/**
 * The part of a server that makes a design different. The engine (TaskServer) owns listening,
 * connection accounting, maxConnections, stats and the shutdown sequence; a design decides how a
 * connection is served and where its tasks run.
 */
export interface Design {
  readonly design: string;
  readonly strategy: string;
  /** Accept sockets without reading from them (they are queued, or handed to another process). */
  readonly pauseOnConnect: boolean;
  /** Where client sockets are read and written, where a design can do either (server-mt): logged on the listening line. */
  readonly io?: 'thread' | 'main';
  /** Start pools and the like, before listening. */
  start?(logger: Logger): Promise<void>;
  /** Called once listening; by default the engine logs "Waiting for a client to connect..." once. */
  onListening?(logger: Logger): void;
  /** Serve one accepted connection; resolve once it is over and its socket closed. */
  serve(socket: Socket, context: ConnectionContext): Promise<void>;
  /** Graceful stop: finish in-flight tasks, then close every connection. */
  drain(): void;
  /** Hard stop: close every connection and stop every worker; resolves when none is left. */
  stop(): Promise<void>;
  /** Worker counts (0s for designs without workers). */
  workerStats(): ServerStats['workers'];
  /** Connections by I/O path (see ServerStats.io), for a design that has two. */
  ioStats?(): NonNullable<ServerStats['io']>;
}

/**
 * The engine every design runs on. Written once: listen, learn the bound address, count and cap
 * connections, expose stats, and shut down gracefully (stop accepting, drain, then cut).
 */
export class TaskServer {
  readonly options: Readonly<ResolvedCommonServerOptions>;
  readonly logger: Logger;
  readonly #design: Design;
  readonly #server: net.Server;
  readonly #counters: ConnectionCounters = { tasks: 0, errors: 0 };
  readonly #conns = { active: 0, total: 0, closed: 0, rejected: 0 };
  #nextId = 1;
  #address: AddressInfo | null = null;
  #closing: Promise<void> | null = null;
  readonly #idle = new Set<() => void>();
  /** Clients accepted once the shutdown began (see LateClients). */
  readonly #late: LateClients;

  constructor(design: Design, options: Readonly<ResolvedCommonServerOptions>) {
    this.#design = design;
    this.options = options;
    this.logger = new Logger(options.log, { design: design.design, strategy: design.strategy, pid: process.pid }, undefined, options.quiet);
    this.#server = net.createServer({ pauseOnConnect: design.pauseOnConnect, allowHalfOpen: true }, (socket) => this.#onConnection(socket));
    this.#server.on('error', (err) => this.logger.error('server-error', `Server error: ${err.message}`));
    this.#late = new LateClients({ limits: options.limits, idleTimeoutMs: options.idleTimeoutMs, lingerMs: options.lingerMs, logger: this.logger, counters: this.#counters });
  }

  async listen(): Promise<AddressInfo> {
    await this.#design.start?.(this.logger);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ host: this.options.host, port: this.options.port, backlog: this.options.backlog }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    }).catch(async (err) => {
      await this.#design.stop();
      throw err;
    });
    const address = (this.#address = this.#server.address() as AddressInfo);
    const io = this.#design.io;
    this.logger.info('listening', `Server is running on ${address.address}:${address.port}...`, io ? { host: address.address, port: address.port, io } : { host: address.address, port: address.port });
    if (this.#design.onListening) this.#design.onListening(this.logger);
    else this.logger.info('waiting', 'Waiting for a client to connect...');
    return address;
  }

  /** The bound address (kept after close(), so the port can still be reported). */
  get address(): AddressInfo {
    if (!this.#address) throw new Error('server is not listening yet: await listen() first');
    return this.#address;
  }

  get listening(): boolean {
    return this.#server.listening;
  }

  stats(): ServerStats {
    return {
      design: this.#design.design,
      strategy: this.#design.strategy,
      connections: { ...this.#conns },
      tasks: this.#counters.tasks,
      errors: this.#counters.errors,
      workers: this.#design.workerStats(),
      ...(this.#design.ioStats ? { io: this.#design.ioStats() } : {}),
    };
  }

  /** Stops accepting, lets in-flight tasks finish for up to `drainTimeoutMs`, then closes everything. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Stop accepting now. We do not wait for net.Server's 'close' event: once sockets have been sent to
    // child processes it waits for those children to report their socket counts, which a child that
    // already exited never does. Our own accounting (active connections) is what we wait on instead.
    // Clients already in the kernel's accept queue are accepted first and answered SHUTTING_DOWN
    // (closeAfterPending): closing the listener at once would reset them.
    const listenerClosed = closeAfterPending(this.#server, this.options.drainTimeoutMs / 2);
    this.logger.info('shutdown', 'Shutting down: no new connections; finishing in-flight tasks...');
    this.#design.drain();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.drainTimeoutMs)));
    const drained = listenerClosed.then(() =>
      Promise.all([this.#conns.active === 0 ? undefined : new Promise<void>((resolve) => this.#idle.add(resolve)), this.#late.closedAll()]),
    );
    const cut = await Promise.race([drained.then(() => false), timedOut]);
    clearTimeout(timer);
    if (cut) this.logger.info('shutdown', `Drain timeout (${this.options.drainTimeoutMs} ms): closing remaining connections.`);
    this.#late.destroyAll();
    await this.#design.stop();
    this.logger.info('closed', 'Server closed.');
  }

  #onConnection(socket: Socket): void {
    this.#conns.total++;
    if (this.#closing) {
      // Arrived once the shutdown began: each request it sent gets SHUTTING_DOWN, then a clean close.
      this.#conns.rejected++;
      void this.#late.serve(socket);
      return;
    }
    if (this.#conns.active >= this.options.maxConnections) {
      this.#conns.rejected++;
      this.#counters.errors++;
      void rejectSocket(socket, new TooManyConnectionsError(`server is at maxConnections (${this.options.maxConnections})`), 'text', this.options.lingerMs);
      return;
    }
    this.#conns.active++;
    // The context and the promise callbacks below must not capture `socket`: a design that hands the
    // socket to another process lets go of it, and it should then be collectable (memory per connection).
    const context: ConnectionContext = { id: this.#nextId++, logger: this.logger, counters: this.#counters, reject: this.#reject };
    this.#design.serve(socket, context).then(
      () => this.#onClosed(),
      (err: unknown) => {
        // A design's serve() only rejects on a bug; it owns (and has closed) the socket.
        this.#counters.errors++;
        this.logger.error('error', `Error serving connection: ${err instanceof Error ? err.message : String(err)}`);
        this.#onClosed();
      },
    );
  }

  readonly #reject = (socket: Socket, error: SocketlabError): Promise<void> => {
    this.#conns.rejected++;
    this.#counters.errors++;
    return rejectSocket(socket, error, 'text', this.options.lingerMs);
  };

  #onClosed(): void {
    this.#conns.active--;
    this.#conns.closed++;
    if (this.#conns.active === 0) {
      for (const resolve of this.#idle) resolve();
      this.#idle.clear();
    }
  }
}
