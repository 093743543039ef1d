import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LoadgenWorkerError } from './errors.ts';
import { BRAND, isBranded, type ClientSpec, type FromWorker, type PrepareMessage, type ResultMessage, type ToWorker } from './messages.ts';
import { now } from './client-core.ts';
import type { OpenPrepareMessage, OpenResultMessage, OpenShare } from './open/messages.ts';
import { sleepUntil } from './shard/clock.ts';
import { markedEnv } from './watchdog.ts';

/**
 * The client process entry: dist/entry/client-worker.js next to the bundle. Run from source (tests
 * import src/ through tsx), this module sits in src/, so fall back to the built file in ../dist.
 */
export function clientWorkerEntry(): string {
  const candidates = [new URL('./entry/client-worker.js', import.meta.url), new URL('../dist/entry/client-worker.js', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new LoadgenWorkerError(`client worker entry not found (looked for ${candidates.map((u) => fileURLToPath(u)).join(', ')}); run the build first`);
}

/** After `shutdown`, how long a client process gets to exit before SIGKILL, ms. */
const SHUTDOWN_TIMEOUT_MS = 2000;
/** Bytes of a client process's stderr kept for error messages. */
const STDERR_TAIL_BYTES = 2048;

class ClientProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  #stderr = '';
  #waiters = new Set<{ type: string; runId?: number; resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  #dead: LoadgenWorkerError | null = null;

  constructor(entry: string) {
    // execArgv: [] keeps the parent's loaders (tsx under test) out: start-up is Node's own.
    this.child = fork(entry, [], { execArgv: [], env: markedEnv().env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-STDERR_TAIL_BYTES);
    });
    this.child.on('error', () => {}); // surfaced through 'exit'
    this.child.on('message', (msg: FromWorker) => {
      if (!isBranded(msg)) return;
      if (msg.type === 'failed') return this.#fail(new LoadgenWorkerError(`client process ${this.pid}: ${msg.error.message}`));
      for (const w of this.#waiters) {
        if (w.type === msg.type && (w.runId === undefined || ('runId' in msg && msg.runId === w.runId))) {
          this.#waiters.delete(w);
          w.resolve(msg);
        }
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#fail(new LoadgenWorkerError(`client process ${this.pid} exited (${signal ?? `code ${code}`})${this.#stderr ? `: ${this.#stderr.trim()}` : ''}`));
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  #fail(error: LoadgenWorkerError): void {
    this.#dead ??= error;
    for (const w of this.#waiters) w.reject(error);
    this.#waiters.clear();
  }

  /** Resolves with the next message of `type` (for `runId`); rejects if the process dies or breaks the protocol. */
  waitFor<T extends FromWorker['type']>(type: T, runId?: number): Promise<Extract<FromWorker, { type: T }>> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#waiters.add({ type, runId, resolve: resolve as (m: FromWorker) => void, reject });
    });
  }

  send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg, (err) => void err);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ [BRAND]: true, type: 'shutdown' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The outcome of one run as the client processes saw it. */
export interface ClientRunOutcome {
  /** The release instant (the barrier), performance.timeOrigin + performance.now(), ms. */
  releaseAt: number;
  /** connect-then-release: the clients handed out → every process ready (all connected or failed), ms; else null. */
  connectPhaseMs: number | null;
  /** Release → every client process reported, ms. */
  wallMs: number;
  /** One result per client process that had clients. */
  results: ResultMessage[];
}

let nextRunId = 1;

/**
 * A set of client processes. `start(n)` forks them and waits until each has loaded its modules;
 * `run()` hands out the clients, waits until every process is ready, releases them all at once, and
 * collects their reports.
 */
export class ClientProcesses {
  readonly #procs: ClientProcess[];
  #current: number | null = null;
  #aborted = false;

  private constructor(procs: ClientProcess[]) {
    this.#procs = procs;
  }

  static async start(count: number, timeoutMs: number): Promise<ClientProcesses> {
    const entry = clientWorkerEntry();
    const procs = Array.from({ length: count }, () => new ClientProcess(entry));
    const set = new ClientProcesses(procs);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(procs.map((p) => p.waitFor('loaded'))),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new LoadgenWorkerError(`client processes not ready within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } catch (err) {
      await set.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return set;
  }

  get size(): number {
    return this.#procs.length;
  }

  get pids(): number[] {
    return this.#procs.map((p) => p.pid);
  }

  /**
   * Runs `clients`, client i on process i mod size. `beforeRelease` runs once every process is ready,
   * just before the release. With `connect-then-release` a process is ready once its clients have
   * connected (or failed), each within connectTimeoutMs, so that wait is bounded.
   * `releaseGate`, when given, is asked once every process is ready and resolves with the absolute time
   * (a now() value) to release at: a sharded sweep's start, agreed with the other shards (shard/rendezvous.ts).
   */
  async run(target: Omit<PrepareMessage, typeof BRAND | 'type' | 'runId' | 'clients'>, clients: ClientSpec[], beforeRelease: () => void, releaseGate?: () => Promise<number>): Promise<ClientRunOutcome> {
    const shares = this.#procs.map(() => [] as ClientSpec[]);
    clients.forEach((c, i) => shares[i % shares.length]!.push(c));
    const used = this.#procs.flatMap((p, i) => (shares[i]!.length > 0 ? [{ p, share: shares[i]! }] : []));
    const handedOut = now();
    const outcome = await this.#release(used, (runId, share) => ({ [BRAND]: true, type: 'prepare', runId, ...target, clients: share }), 'result', beforeRelease, releaseGate);
    const connectPhaseMs = target.runDefinition === 'connect-then-release' ? outcome.readyAt - handedOut : null;
    return { releaseAt: outcome.releaseAt, connectPhaseMs, wallMs: outcome.wallMs, results: outcome.results };
  }

  /**
   * An open-model run (src/open/): `shares[i]` goes to process i (the rest sit this run out). Each
   * process connects its connections, then all are released at once, as in run() (at the agreed start
   * when `releaseGate` is given); `go` starts their arrival schedules. Resolves with each process's report.
   */
  async runOpen(target: Omit<OpenPrepareMessage, typeof BRAND | 'type' | 'runId' | 'share'>, shares: readonly OpenShare[], beforeRelease: () => void, releaseGate?: () => Promise<number>): Promise<{ releaseAt: number; wallMs: number; results: OpenResultMessage[] }> {
    if (this.#procs.length < shares.length) throw new LoadgenWorkerError(`an open-model run needs ${shares.length} client processes, ${this.#procs.length} running`);
    const used = shares.map((share, i) => ({ p: this.#procs[i]!, share }));
    const { releaseAt, wallMs, results } = await this.#release(used, (runId, share) => ({ [BRAND]: true, type: 'open-prepare', runId, ...target, share }), 'open-result', beforeRelease, releaseGate);
    return { releaseAt, wallMs, results };
  }

  /**
   * The one release protocol of both models: prepare every used process with its share, wait until all
   * are ready, wait for the gate's agreed start (sharded sweeps), run `beforeRelease`, send `go` to all
   * at once, and collect one `resultType` message from each.
   */
  async #release<S, R extends 'result' | 'open-result'>(
    used: readonly { p: ClientProcess; share: S }[],
    prepare: (runId: number, share: S) => ToWorker,
    resultType: R,
    beforeRelease: () => void,
    releaseGate?: () => Promise<number>,
  ): Promise<{ readyAt: number; releaseAt: number; wallMs: number; results: Extract<FromWorker, { type: R }>[] }> {
    const runId = nextRunId++;
    // Current from the hand-out on: an abort during the connect phase must reach the connecting clients.
    this.#current = runId;
    try {
      const ready = used.map(({ p, share }) => {
        const r = p.waitFor('ready', runId);
        p.send(prepare(runId, share));
        return r;
      });
      if (this.#aborted) this.abort(); // aborted before this run: its clients give up at once
      await Promise.all(ready);
      const readyAt = now();
      if (releaseGate) await sleepUntil(await releaseGate());
      beforeRelease();
      const results = used.map(({ p }) => p.waitFor(resultType, runId));
      const releaseAt = now();
      for (const { p } of used) p.send({ [BRAND]: true, type: 'go', runId });
      const all = await Promise.all(results);
      return { readyAt, releaseAt, wallMs: now() - releaseAt, results: all };
    } finally {
      this.#current = null;
    }
  }

  /**
   * Makes every client of the current run give up now (connecting or running); run() then resolves with
   * partial reports. Final: a later run is aborted as soon as its clients are handed out.
   */
  abort(): void {
    this.#aborted = true;
    if (this.#current === null) return;
    for (const p of this.#procs) p.send({ [BRAND]: true, type: 'abort', runId: this.#current });
  }

  async close(): Promise<void> {
    await Promise.all(this.#procs.map((p) => p.close()));
  }
}
