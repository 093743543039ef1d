import type { Executor, Executors } from './executors.ts';
import type { Served } from './wait-queue.ts';

/** How often the spares are checked while they are short of the minimum, in ms (Apache's maintenance pass: once a second). */
export const SPARE_CHECK_INTERVAL_MS = 1000;
/**
 * Most spares started in one check (Apache's MAX_SPAWN_RATE). The first check that finds the spares
 * short starts one, and each following check that still finds them short starts twice as many as the
 * last (1, 2, 4 … per second, up to this); a check that finds enough, or the worker cap reached, resets
 * the rate to one.
 */
export const MAX_SPARES_PER_CHECK = 32;

/** A worker per connection (server-mp's ProcessWorker, server-mt's ThreadWorker), which Spares may retire. */
export interface SpareExecutor extends Executor {
  /** Lets it go as planned once it holds no client (not a crash); resolves once it is gone. */
  retire(): Promise<void>;
}

/** How the workers of a per-connection design are kept (the `minSpares`, `maxSpares` and `maxConnectionsPerWorker` options). */
export interface SparePolicy {
  /** Idle workers kept ready: started before the server listens, and started again (at the growing rate) when clients take them. */
  readonly minSpares: number;
  /** Most idle workers kept: a worker that finishes a connection while this many are idle is retired instead. */
  readonly maxSpares: number;
  /** Connections one worker serves, one after the other, before it is retired; 0 = no limit; 1 = one client each (the lesson's). */
  readonly maxConnectionsPerWorker: number;
}

/** What serving one client on a worker gives back to Spares.serve. */
export interface Assignment<E extends SpareExecutor> {
  /** The client's socket has closed. */
  closed: Promise<void>;
  /**
   * Resolves once the client is done with its worker, with that worker (a replacement, if the first one
   * died mid-connection) and whether it is free for another client: false while it still runs work of
   * this one (a task whose client has left), which could delay the next client or answer it for another.
   */
  done: Promise<{ worker: E; free: boolean }>;
}

/**
 * The workers of the per-connection designs (a process or a thread per connection), written once for
 * both: Apache's spare-server model. A worker serves one connection at a time, for that connection's
 * whole life; then it goes back to the idle spares, unless it has served `maxConnectionsPerWorker`
 * connections, or `maxSpares` are idle already, or it is not free (see Assignment): then it is
 * retired. Idle spares are kept at `minSpares` or more: started before the server listens, and started
 * again off the clients' path, at a rate that grows while the shortage lasts (MAX_SPARES_PER_CHECK), and
 * only while `room()` says another worker may start (the design's `maxWorkers`). A client that finds no
 * idle spare gets a worker started for it (a cold start).
 *
 * With the defaults (no spares, one connection per worker) this is the lesson's design: a worker
 * started when its client arrives, gone when it leaves.
 */
export class Spares<E extends SpareExecutor> {
  readonly #executors: Executors<E>;
  readonly #policy: SparePolicy;
  readonly #room: () => boolean;
  /** Idle workers: newly started ones (maybe not ready yet) at the front, ones back from a client at the end; the next client takes the last. */
  readonly #idle: E[] = [];
  readonly #served = new WeakMap<E, number>();
  #rate = 1;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(executors: Executors<E>, policy: SparePolicy, room: () => boolean) {
    this.#executors = executors;
    this.#policy = policy;
    this.#room = room;
  }

  /** Idle workers now (started or starting, not serving a client). */
  get size(): number {
    return this.#idle.length;
  }

  /** Starts `minSpares` at once and resolves once all are ready (before the server listens). */
  async start(): Promise<void> {
    while (this.#idle.length < this.#policy.minSpares && this.#room()) this.#idle.push(this.#spawn());
    await Promise.all(this.#idle.map((e) => e.ready.catch(() => {})));
  }

  /**
   * Serves one client: `assign` gives it the worker (the most recently idle spare, so a ready one before
   * one still starting; or one started for it). Returns what the WaitQueue waits on: `released` once the
   * worker is back among the spares or gone, so that workers alive never exceed the cap.
   */
  serve(assign: (worker: E) => Assignment<E>): Served {
    const worker = this.#idle.pop() ?? this.#spawn();
    this.#served.set(worker, (this.#served.get(worker) ?? 0) + 1);
    this.#check();
    const { closed, done } = assign(worker);
    return { released: done.then(({ worker: w, free }) => this.#giveBack(w, free)), closed };
  }

  /** Starts a worker for a client's work (a replacement after a crash): it may join the spares after that client. */
  spawn(): E {
    return this.#spawn();
  }

  #spawn(): E {
    return this.#executors.spawn((dead) => {
      // A spare that died idle: nobody was relying on it; drop it (the next check may start another).
      const i = this.#idle.indexOf(dead);
      if (i !== -1) this.#idle.splice(i, 1);
      this.#check();
    });
  }

  #giveBack(worker: E, free: boolean): Promise<void> {
    const { maxConnectionsPerWorker: most, maxSpares } = this.#policy;
    const served = this.#served.get(worker) ?? 1;
    if (free && !this.#stopping && this.#executors.alive.has(worker) && (most === 0 || served < most) && this.#idle.length < maxSpares) {
      this.#idle.push(worker);
      return Promise.resolve();
    }
    // Its exit may make room for a spare that the cap held back.
    return worker.retire().then(() => this.#check());
  }

  /** Schedules a check if the spares are short of the minimum and none is scheduled. */
  #check(): void {
    if (this.#stopping || this.#timer !== null || this.#idle.length >= this.#policy.minSpares) return;
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => this.#tick(), SPARE_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = null;
    if (this.#stopping) return;
    const short = this.#policy.minSpares - this.#idle.length;
    if (short <= 0) {
      this.#rate = 1; // the demand is over
      return;
    }
    if (!this.#room()) {
      this.#rate = 1; // at the worker cap: nothing may start
    } else {
      for (let i = 0; i < Math.min(this.#rate, short) && this.#room(); i++) this.#idle.unshift(this.#spawn());
      this.#rate = Math.min(this.#rate * 2, MAX_SPARES_PER_CHECK);
    }
    // Check again in a second: still short, more start (at the doubled rate); not, the rate resets.
    this.#schedule();
  }

  /** Stops starting spares and stops every idle one (a drain or stop has begun); busy workers are retired as their clients finish. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await Promise.all(this.#idle.splice(0).map((e) => e.stop()));
  }
}
