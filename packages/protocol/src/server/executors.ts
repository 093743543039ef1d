import { TASKS, type Task, type TaskName } from '../tasks.ts';
import type { Logger } from './logger.ts';

/**
 * Argument size, in bytes, above which UPPER and REVERSE count as occupying the thread that runs them.
 * Their cost model is `instant`, but they are linear in their argument: measured on the reference
 * machine (Node 26.12.1), UPPER ~9 ns and REVERSE ~55 ns per byte, so 4 KiB costs at most ~0.2 ms
 * while a 1 MiB REVERSE (the default frame limit) holds its thread for ~50 ms. Crossing to another
 * thread costs tens of µs, so below 4 KiB it would cost more than it saves.
 */
export const INLINE_TEXT_MAX_BYTES = 4096;

// From the catalogue: the cost models that hold their thread until done (SLEEP, FIB, HASH).
const HOLDS_ITS_THREAD: ReadonlySet<TaskName> = new Set(TASKS.filter((t) => t.cost === 'blocking-io' || t.cost === 'cpu').map((t) => t.name));

/**
 * Whether `task` holds the thread that runs it for more than a request's own overhead: blocking I/O and
 * CPU tasks, and UPPER or REVERSE of more than INLINE_TEXT_MAX_BYTES. The rest (PING, ECHO, short UPPER
 * and REVERSE, WAIT's timer, INFO, EXIT) return at once. A pool sends the first kind to its executors and
 * may run the rest on the thread that reads the socket; a thread that runs tasks answers what it has done
 * before it starts one of the first kind.
 */
export function occupiesThread(task: Task): boolean {
  if (HOLDS_ITS_THREAD.has(task.name)) return true;
  return (task.name === 'UPPER' || task.name === 'REVERSE') && task.data !== null && task.data.length > INLINE_TEXT_MAX_BYTES;
}

/**
 * A process or thread that runs work for the server, seen from the main thread (tinypool's one worker
 * interface over two runtimes). server-mp's ProcessWorker and server-mt's ThreadWorker implement it;
 * everything about *how many* there are, which one gets the next piece of work, and what happens when
 * one dies is written once, below.
 */
export interface Executor {
  /** The pid of a process, or the thread id of a thread. */
  readonly id: number;
  /**
   * Work it holds now: connections for a process; for a thread, the tasks it holds that occupy it
   * (occupiesThread), since one that returns at once delays nothing sent after it. The pool sends work
   * to the least loaded.
   */
  readonly load: number;
  /** Resolves once it can take work (rejects if it dies first). */
  readonly ready: Promise<void>;
  /** Resolves once it is gone, whether it crashed or was stopped. */
  readonly exited: Promise<void>;
  /** Stops it (gracefully, then by force); resolves once it is gone. Its unfinished work is answered. */
  stop(): Promise<void>;
  /** Kills it as a crash would (tests and demos). */
  kill(): void;
}

/** Reports an executor's end: `crashed` unless it was stopped or left as planned; `detail` says how. */
export type ExitReport<E extends Executor> = (executor: E, crashed: boolean, detail: string) => void;

/** Alive now, started since the server started, died unexpectedly. */
export interface ExecutorCounts {
  alive: number;
  started: number;
  crashed: number;
}

/**
 * Every executor a server has started: counts them and logs crashes, for per-connection designs (one
 * executor per client) and pools alike. `create` builds one and must call the report it is given once,
 * when the executor is gone.
 */
export class Executors<E extends Executor> {
  readonly #create: (report: ExitReport<E>) => E;
  readonly #unit: 'process' | 'thread';
  readonly #alive = new Set<E>();
  readonly #counts: ExecutorCounts = { alive: 0, started: 0, crashed: 0 };
  logger: Logger | null = null;

  constructor(unit: 'process' | 'thread', create: (report: ExitReport<E>) => E) {
    this.#unit = unit;
    this.#create = create;
  }

  /** Starts one; `onCrash` runs if it dies unexpectedly (after the crash is counted and logged). */
  spawn(onCrash?: (dead: E) => void): E {
    this.#counts.alive++;
    this.#counts.started++;
    const executor = this.#create((e, crashed, detail) => {
      this.#counts.alive--;
      this.#alive.delete(e);
      if (!crashed) return;
      this.#counts.crashed++;
      this.logger?.error('worker-crash', `${this.label(e)} ${detail}`, this.#unit === 'process' ? { workerPid: e.id } : { thread: e.id });
      onCrash?.(e);
    });
    this.#alive.add(executor);
    return executor;
  }

  /** `Worker process 123` or `Worker thread 4`, for log lines. */
  label(e: E): string {
    return `Worker ${this.#unit} ${e.id}`;
  }

  get alive(): ReadonlySet<E> {
    return this.#alive;
  }

  counts(): ExecutorCounts {
    return { ...this.#counts };
  }

  /** Stops every executor alive; resolves once all are gone. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#alive].map((e) => e.stop()));
  }
}

/**
 * A fixed pool, written once for processes and threads: `size` executors started up front; work goes to
 * the least loaded one, ties broken round-robin (the scan starts after the last pick, so idle executors
 * share instant work instead of the first one taking it all), so a piece of work never waits behind a
 * busy executor while another is idle; a dead one is replaced at once, in its place.
 */
export class ExecutorPool<E extends Executor> {
  readonly #executors: Executors<E>;
  readonly #size: number;
  readonly #slots: E[] = [];
  #last = -1;
  #stopping = false;

  constructor(executors: Executors<E>, size: number) {
    this.#executors = executors;
    this.#size = size;
  }

  /** Starts every executor and resolves once all are ready. */
  async start(): Promise<void> {
    for (let i = 0; i < this.#size; i++) this.#slots.push(this.#spawnAt(i));
    await Promise.all(this.#slots.map((e) => e.ready));
  }

  #spawnAt(index: number): E {
    return this.#executors.spawn((dead) => {
      if (this.#stopping || this.#slots[index] !== dead) return;
      const next = (this.#slots[index] = this.#spawnAt(index));
      this.#executors.logger?.info('worker-replaced', `${this.#executors.label(dead)} replaced by ${next.id}`, { dead: dead.id, replacement: next.id });
    });
  }

  /** The executor the next piece of work should go to. */
  pick(): E {
    const n = this.#slots.length;
    let best = this.#slots[(this.#last + 1) % n]!;
    for (let k = 2; k <= n; k++) {
      const e = this.#slots[(this.#last + k) % n]!;
      if (e.load < best.load) best = e;
    }
    this.#last = this.#slots.indexOf(best);
    return best;
  }

  /** For tests and demos: kills executor `index` as a crash would; returns its id, or null. */
  kill(index: number): number | null {
    const e = this.#slots[index];
    if (!e) return null;
    e.kill();
    return e.id;
  }

  /** Stops replacing executors (a drain or stop has begun). */
  markStopping(): void {
    this.#stopping = true;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#slots.map((e) => e.stop()));
  }
}
