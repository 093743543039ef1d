import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo, Socket } from 'node:net';
import { InvalidOptionError, ShuttingDownError, WorkerCrashedError, reusePortSupported } from '@socketlab/protocol';
import { Executors, Logger, PARENT_PID_ENV, rejectSocket, stopReading, type Executor, type ExitReport, type ServerStats } from '@socketlab/protocol/server';
import { PREFORK_CONFIG_ENV, isBranded, type FromPreforkChild, type PreforkChildConfig, type ToPreforkChild } from './messages.ts';
import { SIGKILL_TIMEOUT_MS } from './process-worker.ts';
import { POLICY, POLICY_NAME, PREFORK_ENTRY, claimSchedulingPolicy, clusterFork } from './cluster-fork.ts';
import type { PreforkAccept, ResolvedMpServerOptions } from './options.ts';

export const PREFORK_ACCEPT: readonly PreforkAccept[] = ['rr', 'os', 'reuseport'];

/** Most replacements of one child within RESTART_WINDOW_MS; beyond it the place stays empty (logged). */
export const MAX_RESTARTS = 5;
/** The window MAX_RESTARTS counts in, ms. */
export const RESTART_WINDOW_MS = 60_000;

/** One child's place: its current process and what every process in that place has accepted. */
export interface PreforkChildStats {
  /** The place, 0 … poolSize-1; a replacement takes its predecessor's place and counts on. */
  slot: number;
  /** The process in the place now (null while none is alive). */
  pid: number | null;
  /** Connections accepted and served (counted when accepted). */
  accepted: number;
  /** Of those, open now. */
  active: number;
  /** Connections it turned away (maxConnections, shutdown). */
  rejected: number;
  /** Times its process was replaced after a crash. */
  restarts: number;
}

export interface PreforkStats extends ServerStats {
  /** Strategy `prefork`: who accepted (as observed in the children) and each child's share. */
  prefork: { accept: PreforkAccept; children: PreforkChildStats[] };
}

interface Listening {
  address: string;
  family: string;
  port: number;
  selfAccept: boolean;
}

/**
 * One prefork child, seen from the parent. The parent never reads a client's socket, but it holds a
 * copy of each (the child sends it one, unread, with its `accepted` report): if the child dies, the
 * parent still answers each of its clients with SOCKETLAB_ERR_WORKER_CRASHED, as for strategy `pool`.
 * That copy is most of what prefork costs per connection beyond the event loop's (measured with 10,000
 * idle connections: about twice the memory and CPU); crashAnswer `off` trades the answer for it.
 */
class PreforkChild implements Executor {
  readonly child: ChildProcess;
  readonly slot: number;
  /** Resolves with its listening address once it accepts (rejects if it cannot listen or dies first). */
  readonly bound: Promise<Listening>;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  /** The parent's copies of this child's open connections, by the child's id (null: it arrived without one). */
  readonly held = new Map<number, Socket | null>();
  /** Connections it may have open before it must ask (its share of maxConnections), as the parent counts them. */
  permits: number;
  #stopping = false;

  constructor(child: ChildProcess, slot: number, permits: number, onExit: (child: PreforkChild, crashed: boolean, detail: string) => void) {
    this.child = child;
    this.slot = slot;
    this.permits = permits;
    this.bound = new Promise((resolve, reject) => {
      const onMessage = (msg: FromPreforkChild) => {
        if (!isBranded(msg)) return;
        if (msg.type === 'listening') {
          this.child.off('message', onMessage);
          resolve({ address: msg.address, family: msg.family, port: msg.port, selfAccept: msg.selfAccept });
        } else if (msg.type === 'listen-error') {
          this.child.off('message', onMessage);
          reject(Object.assign(new Error(`prefork child ${this.pid} could not listen: ${msg.message}`), { code: msg.code ?? undefined }));
        }
      };
      this.child.on('message', onMessage);
      this.child.once('exit', () => reject(new WorkerCrashedError(`prefork child ${this.pid} exited before it was listening`)));
    });
    this.ready = this.bound.then(() => {});
    this.ready.catch(() => {});
    this.child.on('error', () => {}); // surfaced through 'close'
    this.exited = new Promise((resolve) => {
      // 'close' (not 'exit'): every message the child sent has been delivered by then.
      this.child.once('close', (code, signal) => {
        onExit(this, !this.#stopping, signal ? `killed by ${signal}` : `exited with code ${code}`);
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

  get load(): number {
    return this.held.size;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  send(msg: ToPreforkChild): void {
    if (this.child.connected) this.child.send(msg, (err) => void err);
  }

  /** Lets this child exit once it has drained, without it counting as a crash. */
  markStopping(): void {
    this.#stopping = true;
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

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

interface Slot {
  child: PreforkChild | null;
  stats: PreforkChildStats;
  /** When its recent replacements happened (ms, performance.now()), for MAX_RESTARTS. */
  restartTimes: number[];
}

/**
 * Strategy `prefork`: `poolSize` children started up front, each accepting its own connections (see
 * PreforkAccept) and serving them on its own event loop. The parent is off the path of a connection's
 * bytes; it keeps the engine's accounting from the children's reports, shares `maxConnections` between
 * them, answers for the clients of a child that dies, replaces it, and runs the shutdown.
 *
 * Not a TaskServer: the engine listens and accepts in its own process, and here the children do. The
 * parts of the engine it would need are the same pieces the engine is built from (Executors, Logger,
 * rejectSocket, the children's SocketHost), and its public surface is the same (`address`, `listening`,
 * `stats()`, `close()`).
 *
 * `maxConnections` is kept exactly, without a round trip per connection: each child starts with an equal
 * share of it (permits) and admits on its own while it has one free; a child with none asks the parent,
 * which grants one from those returned by dead children, or asks the other children to give back their
 * unused ones, and refuses (the child answers TOO_MANY_CONNECTIONS) only when no permit is free anywhere.
 */
export class PreforkServer {
  readonly options: ResolvedMpServerOptions;
  readonly logger: Logger;
  readonly accept: PreforkAccept;
  readonly #executors: Executors<PreforkChild>;
  readonly #slots: Slot[] = [];
  readonly #counters = { tasks: 0, errors: 0 };
  readonly #conns = { active: 0, total: 0, closed: 0, rejected: 0 };
  readonly #idle = new Set<() => void>();
  /** Permits no child holds. */
  #free = 0;
  /** Children's `need`s waiting for a permit while others are asked to give theirs back. */
  readonly #needs: { child: PreforkChild; id: number }[] = [];
  /** Children asked to give back their unused permits that have not answered yet. */
  readonly #asked = new Set<PreforkChild>();
  /** Clients of dead children being answered by the parent (see PreforkChild). */
  readonly #answering = new Set<Promise<void>>();
  #address: AddressInfo | null = null;
  #listening = false;
  #closing: Promise<void> | null = null;
  /** Next child's parameters (Executors' factory takes none). */
  #next: { slot: number; port: number; permits: number } = { slot: 0, port: 0, permits: 0 };
  /** Total accepted when the last `idle` line was logged. */
  #loggedAt = -1;

  constructor(options: ResolvedMpServerOptions, accept: PreforkAccept) {
    this.options = options;
    this.accept = accept;
    this.logger = new Logger(options.log, { design: 'mp', strategy: 'prefork', pid: process.pid }, undefined, options.quiet);
    this.#executors = new Executors('process', (report) => this.#fork(report));
    this.#executors.logger = this.logger;
    for (let i = 0; i < options.poolSize; i++) {
      this.#slots.push({ child: null, stats: { slot: i, pid: null, accepted: 0, active: 0, rejected: 0, restarts: 0 }, restartTimes: [] });
    }
  }

  /** Starts every child and resolves once each is listening. */
  async listen(): Promise<AddressInfo> {
    const o = this.options;
    if (this.accept === 'reuseport') {
      if (!(await reusePortSupported())) {
        throw new InvalidOptionError(`accept "reuseport" needs listen({ reusePort: true }) to share a port (SO_REUSEPORT: Linux, Node 22.12+ / 23.1+), and this Node (${process.version} on ${process.platform}) cannot; use accept "os" or "rr"`);
      }
    } else {
      claimSchedulingPolicy(this.accept);
    }
    // maxConnections shared out: an equal share each, the remainder to the first ones.
    const n = o.poolSize;
    const share = (i: number) => Math.floor(o.maxConnections / n) + (i < o.maxConnections % n ? 1 : 0);
    try {
      let first: Listening;
      if (this.accept === 'reuseport') {
        // The first child binds the asked-for port (0: any); the others join it on the port it got.
        first = await this.#start(0, o.port, share(0)).bound;
        const rest = this.#slots.slice(1).map((s) => this.#start(s.stats.slot, first.port, share(s.stats.slot)).bound);
        await Promise.all(rest);
      } else {
        // Every cluster worker asks the primary for the same (host, port): the primary opens one handle
        // for them all (port 0 included: node:cluster gives each worker the same port).
        const all = this.#slots.map((s) => this.#start(s.stats.slot, o.port, share(s.stats.slot)).bound);
        const infos = await Promise.all(all);
        first = infos[0]!;
        const want = this.accept === 'os';
        const wrong = infos.find((i) => i.selfAccept !== want);
        if (wrong) {
          throw new InvalidOptionError(`accept "${this.accept}": the children ${wrong.selfAccept ? 'accept themselves' : 'are handed their connections'}, so node:cluster's scheduling policy in this process is not ${POLICY_NAME(POLICY[this.accept])} (it is process-wide: was cluster.schedulingPolicy changed after the first fork?)`);
        }
      }
      this.#address = { address: first.address, family: first.family, port: first.port };
    } catch (err) {
      await this.#stopAll();
      throw err;
    }
    this.#listening = true;
    const { address, port } = this.#address;
    this.logger.info('listening', `Server is running on ${address}:${port}...`, { host: address, port, accept: this.accept });
    this.logger.info('waiting', 'Waiting for a client to connect...');
    return this.#address;
  }

  #start(slot: number, port: number, permits: number): PreforkChild {
    this.#next = { slot, port, permits };
    return this.#executors.spawn((dead) => this.#replace(dead));
  }

  #fork(report: ExitReport<PreforkChild>): PreforkChild {
    const { slot, port, permits } = this.#next;
    const o = this.options;
    const config: PreforkChildConfig = {
      accept: this.accept, host: o.host, port, backlog: o.backlog, permits, crashAnswer: o.crashAnswer,
      limits: o.limits, idleTimeoutMs: o.idleTimeoutMs, lingerMs: o.lingerMs, log: o.log, quiet: o.quiet,
    };
    // The child watches this process (watchParent): it goes with us, whatever the moment of our death.
    const env = { [PREFORK_CONFIG_ENV]: JSON.stringify(config), [PARENT_PID_ENV]: String(process.pid) };
    // reuseport needs no node:cluster (each child binds for itself), so it leaves the process's cluster
    // state alone: a plain child process.
    const proc = this.accept === 'reuseport'
      ? fork(PREFORK_ENTRY, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', env: { ...process.env, ...env } })
      : clusterFork(env);
    const child = new PreforkChild(proc, slot, permits, (c, crashed, detail) => this.#onExit(c, crashed, detail, report));
    proc.on('message', (msg: FromPreforkChild, handle?: Socket) => this.#onMessage(child, msg, handle));
    const s = this.#slots[slot]!;
    s.child = child;
    s.stats.pid = child.pid;
    return child;
  }

  #onMessage(child: PreforkChild, msg: FromPreforkChild, handle?: Socket): void {
    if (!isBranded(msg)) return;
    const stats = this.#slots[child.slot]!.stats;
    switch (msg.type) {
      case 'accepted': {
        // A socket received over IPC starts reading at once: stop it before the loop turns, so that
        // every byte stays for the child.
        if (handle) {
          handle.on('error', () => {});
          stopReading(handle);
        }
        child.held.set(msg.id, handle ?? null);
        this.#conns.total++;
        this.#conns.active++;
        stats.accepted++;
        stats.active++;
        break;
      }
      case 'closed': {
        if (!child.held.has(msg.id)) return;
        child.held.get(msg.id)?.destroy(); // the parent's copy; the child has closed the connection
        child.held.delete(msg.id);
        this.#counters.tasks += msg.tasks;
        this.#counters.errors += msg.errors;
        stats.active--;
        this.#onClosed();
        break;
      }
      case 'rejected':
        this.#conns.total++;
        this.#conns.rejected++;
        this.#counters.errors++;
        stats.rejected++;
        break;
      case 'need':
        this.#onNeed(child, msg.id);
        break;
      case 'released':
        child.permits -= msg.n;
        this.#free += msg.n;
        this.#asked.delete(child);
        this.#grantWaiting();
        break;
    }
  }

  #onNeed(child: PreforkChild, id: number): void {
    if (this.#closing || child.stopping) return child.send({ __socketlab__: true, type: 'grant', id, ok: false });
    if (this.#free > 0) {
      this.#free--;
      child.permits++;
      return child.send({ __socketlab__: true, type: 'grant', id, ok: true });
    }
    this.#needs.push({ child, id });
    if (this.#asked.size > 0) return; // a round of asking is under way: its answers settle this one too
    // None free: ask every other child to give back the permits it is not using (the parent's count of
    // each child's open connections lags its reports, so every child holding any is asked).
    for (const c of this.#executors.alive) {
      if (c === child || c.permits === 0 || c.stopping) continue;
      this.#asked.add(c);
      c.send({ __socketlab__: true, type: 'release' });
    }
    if (this.#asked.size === 0) this.#refuseWaiting();
  }

  /** Grants waiting needs from the free permits; once no release is outstanding, refuses the rest. */
  #grantWaiting(): void {
    while (this.#free > 0 && this.#needs.length > 0) {
      const { child, id } = this.#needs.shift()!;
      if (!this.#executors.alive.has(child)) continue;
      this.#free--;
      child.permits++;
      child.send({ __socketlab__: true, type: 'grant', id, ok: true });
    }
    if (this.#asked.size === 0) this.#refuseWaiting();
  }

  #refuseWaiting(): void {
    for (const { child, id } of this.#needs.splice(0)) child.send({ __socketlab__: true, type: 'grant', id, ok: false });
  }

  #onExit(child: PreforkChild, crashed: boolean, detail: string, report: ExitReport<PreforkChild>): void {
    const stats = this.#slots[child.slot]!.stats;
    if (this.#slots[child.slot]!.child === child) stats.pid = null;
    // Its permits go back, except one per connection still held here until that one is answered.
    this.#free += child.permits - child.held.size;
    child.permits = 0;
    for (const [id, socket] of child.held) {
      child.held.delete(id);
      // The child died holding this client: answer for it, if its socket still works.
      this.#counters.errors++;
      const settle = () => {
        stats.active--;
        this.#free++;
        this.#onClosed();
        this.#grantWaiting();
      };
      if (!socket) {
        settle();
        continue;
      }
      const error = child.stopping
        ? new ShuttingDownError(`server is shutting down; process ${child.pid} ${detail}`)
        : new WorkerCrashedError(`server process ${child.pid} ${detail}`);
      const answered = rejectSocket(socket, error, 'text', this.options.lingerMs).then(settle);
      this.#answering.add(answered);
      void answered.then(() => this.#answering.delete(answered));
    }
    this.#asked.delete(child); // a release it will never answer
    report(child, crashed, detail);
    this.#grantWaiting();
  }

  /** Forks a replacement in the dead child's place, at most MAX_RESTARTS times in RESTART_WINDOW_MS. */
  #replace(dead: PreforkChild): void {
    if (this.#closing || !this.#listening) return;
    const slot = this.#slots[dead.slot]!;
    if (slot.child !== dead) return;
    const now = performance.now();
    slot.restartTimes = slot.restartTimes.filter((t) => now - t < RESTART_WINDOW_MS);
    if (slot.restartTimes.length >= MAX_RESTARTS) {
      slot.child = null;
      this.logger.error('worker-restart-limit', `Worker process ${dead.pid} not replaced: its place restarted ${MAX_RESTARTS} times in ${RESTART_WINDOW_MS / 1000} s`, { dead: dead.pid, slot: dead.slot });
      return;
    }
    slot.restartTimes.push(now);
    slot.stats.restarts++;
    // A cluster worker joins the primary's handle by the port it was asked for (0 for the first ones),
    // while one of them still holds it; if none does, the port is opened again, so ask for it by number.
    const alive = [...this.#executors.alive].some((c) => c !== dead);
    const port = this.accept !== 'reuseport' && alive ? this.options.port : this.#address!.port;
    const next = this.#start(dead.slot, port, 0);
    this.logger.info('worker-replaced', `Worker process ${dead.pid} replaced by ${next.pid}`, { dead: dead.pid, replacement: next.pid });
    next.ready.catch((err: unknown) => this.logger.error('worker-listen', `Worker process ${next.pid} could not listen: ${err instanceof Error ? err.message : String(err)}`));
  }

  #onClosed(): void {
    this.#conns.active--;
    this.#conns.closed++;
    if (this.#conns.active !== 0) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
    // One lifecycle line each time the server goes idle, with each child's share so far: the one way
    // a process outside (loadgen, with --log json --quiet) learns the spread. A turn later, so that a
    // burst of closes logs once.
    setImmediate(() => this.#logIdle());
  }

  #logIdle(): void {
    if (this.#conns.active !== 0 || this.#conns.total === this.#loggedAt) return;
    this.#loggedAt = this.#conns.total;
    const accepted = this.#slots.map((s) => s.stats.accepted);
    this.logger.info('idle', `All connections closed; connections accepted per child: ${accepted.join(', ')}`, { accept: this.accept, accepted: accepted.join(','), rejected: this.#conns.rejected });
  }

  /** The bound address (kept after close(), so the port can still be reported). */
  get address(): AddressInfo {
    if (!this.#address) throw new Error('server is not listening yet: await listen() first');
    return this.#address;
  }

  get listening(): boolean {
    return this.#listening && !this.#closing;
  }

  /** Pids of the child processes, by place (-1 for an empty place). */
  get workerPids(): number[] {
    return this.#slots.map((s) => s.child?.pid ?? -1);
  }

  /** Experimental, for tests and demos: SIGKILLs the child in place `index`; returns its pid or null. */
  experimental_killWorker(index: number): number | null {
    const child = this.#slots[index]?.child;
    if (!child) return null;
    child.kill();
    return child.pid;
  }

  stats(): PreforkStats {
    return {
      design: 'mp',
      strategy: 'prefork',
      connections: { ...this.#conns },
      tasks: this.#counters.tasks,
      errors: this.#counters.errors,
      workers: this.#executors.counts(),
      prefork: { accept: this.accept, children: this.#slots.map((s) => ({ ...s.stats })) },
    };
  }

  /** Stops accepting, lets in-flight tasks finish for up to `drainTimeoutMs`, then closes everything. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.logger.info('shutdown', 'Shutting down: no new connections; finishing in-flight tasks...');
    // Each child stops listening (the port closes once the last one has), drains its connections and
    // exits once it has none.
    for (const c of this.#executors.alive) {
      c.markStopping();
      c.send({ __socketlab__: true, type: 'drain' });
    }
    this.#refuseWaiting();
    // Drained once every connection is closed and every child has exited on its own: a child still
    // answering late clients (SHUTTING_DOWN, then a clean close) must not be cut short by SIGTERM.
    const children = [...this.#executors.alive].map((c) => c.exited);
    const drained = Promise.all([this.#conns.active === 0 ? undefined : new Promise<void>((resolve) => this.#idle.add(resolve)), ...children]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.drainTimeoutMs)));
    const cut = await Promise.race([drained.then(() => false), timedOut]);
    clearTimeout(timer);
    if (cut) this.logger.info('shutdown', `Drain timeout (${this.options.drainTimeoutMs} ms): closing remaining connections.`);
    await this.#stopAll();
    this.#listening = false;
    this.logger.info('closed', 'Server closed.');
  }

  async #stopAll(): Promise<void> {
    await this.#executors.stopAll();
    await Promise.all([...this.#answering]);
  }
}
