import type { Socket } from 'node:net';
import type { ExecutionContext } from '../tasks.ts';
import type { Limits } from '../limits.ts';
import type { ConnectionCounters, TaskRunner } from './connection-options.ts';
import { inlineRunner } from './inline.ts';
import type { LogFormat } from './logger.ts';
import { Logger } from './logger.ts';
import { ConnectionSet, serveSocket } from './serve.ts';

/** What a process or thread that owns client sockets needs to serve them (plain data: it crosses IPC or postMessage). */
export interface HostConfig {
  limits: Limits;
  idleTimeoutMs: number;
  lingerMs: number;
  log: LogFormat;
  quiet: boolean;
}

/**
 * The sockets one executor owns: a server-mp child process, or a server-mt thread that was handed its
 * client's socket. It reads, runs every task inline on its own thread and writes, exactly as the main
 * thread of the event-loop server does; the one thing it adds is that each connection's counts are
 * handed back when it closes (the main thread no longer sees its requests). Written once for both.
 */
export class SocketHost extends ConnectionSet {
  readonly #config: HostConfig;
  /** One runner for every connection of this thread: its blocking tasks take turns (see inlineRunner). */
  readonly #run: TaskRunner;
  readonly #logger: Logger;

  /** `write` replaces stdout for log lines (a worker thread sends them to the main thread: see server-mt). */
  constructor(config: HostConfig, context: ExecutionContext, base: Record<string, string | number>, write?: (line: string) => void) {
    super();
    this.#config = config;
    this.#run = inlineRunner(context, () => this.draining);
    this.#logger = new Logger(config.log, { design: context.design, strategy: context.strategy, ...base }, write, config.quiet);
  }

  /** Serves a socket this executor owns; resolves with the connection's task and error counts once it has closed. */
  serve(socket: Socket, head: Buffer | null = null): Promise<ConnectionCounters> {
    const counters: ConnectionCounters = { tasks: 0, errors: 0 };
    const connection = serveSocket(socket, {
      limits: this.#config.limits,
      idleTimeoutMs: this.#config.idleTimeoutMs,
      lingerMs: this.#config.lingerMs,
      run: this.#run,
      logger: this.#logger,
      counters,
      head,
    });
    return this.add(connection).then(() => counters);
  }
}
