import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { ShuttingDownError, WorkerCrashedError, toSocketlabError } from '@socketlab/protocol';
import { childEnv, rejectSocket, type ConnectionCounters, type Executor, type ExitReport } from '@socketlab/protocol/server';
import { DRAIN_SIGNAL, isBranded, type ChildConfig, type FromChild, type ToChild } from './messages.ts';

/** Loads {@link file://./entry/child.ts}, built to dist/entry/child.cjs (self-contained) next to this bundle. */
const CHILD_ENTRY = new URL('./entry/child.cjs', import.meta.url);

/** After SIGTERM, how long a child gets before SIGKILL (tinypool uses 1000 ms too). */
export const SIGKILL_TIMEOUT_MS = 1000;

interface Handed {
  /** The parent's copy of the socket. */
  socket: Socket;
  counters: ConnectionCounters;
  done: () => void;
}

/**
 * One child process, seen from the parent: the process runtime of the server core's Executor. The parent
 * keeps its own reference to each socket it hands over (keepOpen), never reading from it, so that if the
 * child dies mid-task the parent can still answer that client with SOCKETLAB_ERR_WORKER_CRASHED before
 * closing (a few KiB of parent memory per connection).
 */
export class ProcessWorker implements Executor {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  readonly #handed = new Map<number, Handed>();
  #stopping = false;
  #ready = false;

  readonly #lingerMs: number;

  constructor(config: ChildConfig, onExit: ExitReport<ProcessWorker>) {
    this.#lingerMs = config.lingerMs;
    // execArgv: [] keeps the parent's loaders (e.g. tsx under test) out of the child, so start-up is Node's own.
    this.child = fork(CHILD_ENTRY, [JSON.stringify(config)], { execArgv: [], env: childEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (msg: FromChild) => {
        if (isBranded(msg) && msg.type === 'ready') {
          this.child.off('message', onMessage);
          resolve();
        }
      };
      this.child.on('message', onMessage);
      this.child.once('exit', () => reject(new WorkerCrashedError(`child process ${this.child.pid} exited before it was ready`)));
    });
    this.ready.then(() => (this.#ready = true), () => {});
    this.child.on('message', (msg: FromChild) => {
      if (!isBranded(msg) || msg.type !== 'closed') return;
      const entry = this.#handed.get(msg.id);
      if (!entry) return;
      this.#handed.delete(msg.id);
      entry.counters.tasks += msg.tasks;
      entry.counters.errors += msg.errors;
      entry.socket.destroy(); // the parent's copy; the child has already closed the connection
      entry.done();
    });
    this.child.on('error', () => {}); // surfaced through 'exit'
    this.exited = new Promise((resolve) => {
      // 'close' (not 'exit'): it comes after the IPC channel has delivered every message, so a child's
      // last 'closed' report is never mistaken for a crash.
      this.child.once('close', (code, signal) => {
        const crashed = !this.#stopping && !(code === 0 && this.#handed.size === 0);
        const detail = signal ? `killed by ${signal}` : `exited with code ${code}`;
        for (const entry of this.#handed.values()) {
          // The child died holding this client: answer for it if the socket still works.
          entry.counters.errors++;
          const error = this.#stopping
            ? new ShuttingDownError(`server is shutting down; process ${this.child.pid} ${detail}`)
            : new WorkerCrashedError(`server process ${this.child.pid} ${detail}`);
          void rejectSocket(entry.socket, error, 'text', this.#lingerMs).then(entry.done);
        }
        this.#handed.clear();
        onExit(this, crashed, detail);
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get id(): number {
    return this.pid;
  }

  /** Connections this child is serving. */
  get load(): number {
    return this.#handed.size;
  }

  /**
   * Hands `socket` to the child; resolves once the connection is over. The connection counts towards
   * `load` at once (synchronously), so several connections arriving together spread over the pool.
   */
  handOff(socket: Socket, id: number, counters: ConnectionCounters, head: Buffer | null = null): Promise<void> {
    return new Promise((resolve) => {
      this.#handed.set(id, { socket, counters, done: resolve });
      this.ready.then(
        () => this.#send(socket, id, head),
        (err: unknown) => {
          // The child died before it could take the client: answer for it, never leave it hanging. A
          // child told to drain may go before it was handed the client: then the client was not served
          // because of the shutdown, not a crash.
          if (!this.#handed.delete(id)) return; // the exit handler already settled it
          counters.errors++;
          const error = this.#stopping ? new ShuttingDownError(`server is shutting down; process ${this.child.pid} left before serving this client`) : toSocketlabError(err);
          void rejectSocket(socket, error, 'text', this.#lingerMs).then(resolve);
        },
      );
    });
  }

  #send(socket: Socket, id: number, head: Buffer | null): void {
    const msg: ToChild = head ? { __socketlab__: true, type: 'connection', id, head: head.toString('base64') } : { __socketlab__: true, type: 'connection', id };
    // If the child is gone before it got the socket (it crashed or is stopping), the exit handler answers
    // the client on the parent's copy and settles the entry. If the client is gone (its socket destroyed
    // while it waited for this child), Node sends the message without a handle and the child reports the
    // connection closed at once.
    this.child.send(msg, socket, { keepOpen: true }, (err) => void err);
  }

  drain(): void {
    if (this.child.connected) this.child.send({ __socketlab__: true, type: 'drain' } satisfies ToChild, (err) => void err);
    // The signal overtakes the sockets still queued for the child (see DRAIN_SIGNAL); not before it is ready.
    if (this.#ready && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(DRAIN_SIGNAL);
  }

  /** SIGTERM, then SIGKILL after SIGKILL_TIMEOUT_MS; resolves once the process is gone. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), SIGKILL_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    } else {
      await this.exited;
    }
  }

  /** Lets the child exit once it holds no client (a drain: it has no client, or is told after its last one); resolves once it is gone. */
  async retire(): Promise<void> {
    this.markStopping();
    this.drain();
    await this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Lets this child exit once it is idle (drain), without it counting as a crash. */
  markStopping(): void {
    this.#stopping = true;
  }
}
