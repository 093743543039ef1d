import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { escapeForLog } from '@socketlab/protocol/server';
import { PortInUseError, ServerStartError } from './errors.ts';
import { fillCommand, type ExternalServerSpec } from './external-servers.ts';
import { accepts, freePort, listenerHeldBy, portIsFree } from './server-ports.ts';
import { markedEnv, markedPids, watchGroup } from './watchdog.ts';
import {
  DESIGN_CATALOGUE, HAS_PROCFS, allStats, designArgs, isAlive, processTree, round3, sampleTree,
  type DesignName, type ResolvedSweepConfig, type ServerInstance, type ServerStop, type TreeSample,
} from '@socketlab/results';

const require = createRequire(import.meta.url);

/** Absolute path of a package's bin, resolved through its package.json (so it works wherever npm put it). */
export function resolveBin(pkg: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin ? Object.values(manifest.bin)[0] : undefined;
  if (!bin) throw new ServerStartError(`${pkg} has no bin in its package.json`);
  return join(dirname(manifestPath), bin);
}

/** Bytes of a server's stderr kept for the results (stderrTail). */
const STDERR_TAIL_BYTES = 2048;
/** Characters of that tail quoted in a start failure's message (escaped). */
const STDERR_SHOWN_CHARS = 500;
/** After a server exits, how long its pipes may still deliver its last bytes before they are closed, ms. */
const PIPE_GRACE_MS = 200;
/** Longest stdout line we buffer while looking for the listening line, bytes. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * A server variant running as a separate OS process, started through its package's bin with
 * `--port 0 --log json --quiet`. The first JSON line with `"event":"listening"` gives the port; every
 * later log line (lifecycle only, with --quiet) is read and dropped unparsed: the pipe must keep
 * draining or the server would block on stdout.
 * It runs in a process group of its own, so a terminal's Ctrl-C reaches loadgen only, which then stops
 * it with SIGTERM, as it does after every run or cell.
 */
export class ServerProcess {
  readonly record: ServerInstance;
  readonly child: ChildProcess;
  readonly host: string;
  /** Its marker (watchdog.ts): every process it started, however it detached, carries it. */
  readonly marker: string;
  #stderr = '';
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** pid → start time of every process seen in its tree (for the leftover check). */
  readonly #seen = new Map<number, number>();
  /** mp-prefork-*: the children's cumulative accepted counts from the server's latest `idle` line (null before one). */
  #shares: AcceptCounts | null = null;
  readonly #shareWaiters = new Set<() => void>();

  private constructor(child: ChildProcess, record: ServerInstance, host: string, marker: string) {
    this.child = child;
    this.record = record;
    this.host = host;
    this.marker = marker;
    watchGroup(child.pid ?? -1, true); // its process group: killed by the watchdog if loadgen dies
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      // Kept as written (bounded); escaped wherever it is printed (stderrText).
      this.#stderr = (this.#stderr + s).slice(-STDERR_TAIL_BYTES);
      this.record.stderrTail = this.#stderr;
    });
    this.#exit = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      // A command that could not be spawned (ENOENT) has no pid and may never emit 'exit'.
      this.child.once('error', () => {
        if (this.child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
    LIVE.add(this); // until stop() has reaped what it left, not merely until it exits
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get port(): number {
    return this.record.port ?? 0;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** `clients`: the cell's N (a warm design starts one spare per client). */
  static async start(design: DesignName, index: number, config: Pick<ResolvedSweepConfig, 'host' | 'poolSize' | 'startTimeoutMs'>, clients = 1): Promise<ServerProcess> {
    const spec = DESIGN_CATALOGUE[design];
    const bin = resolveBin(spec.package);
    // --quiet: lifecycle lines only (listening, shutdown, crashes), no line per connection or request,
    // so the server does not pay for logging while it is measured.
    const args = [bin, ...designArgs(design, config.poolSize, clients), '--host', config.host, '--port', '0', '--log', 'json', '--quiet'];
    const startedAt = new Date();
    const t0 = performance.now();
    // detached: a process group of its own (see above). execArgv is not passed: the bin runs on plain Node.
    // SOCKETLAB_PARENT_PID (childEnv): the server shuts down if loadgen dies, even by SIGKILL; its marker
    // lets the watchdog and stop() find whatever it started.
    const { env, marker } = markedEnv();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    const record: ServerInstance = {
      index, design, package: spec.package, command: args, pid: child.pid ?? null, port: null,
      startedAt: startedAt.toISOString(), startupMs: null, io: null, stop: null, stderrTail: '',
    };
    const server = new ServerProcess(child, record, config.host, marker);
    try {
      record.port = await server.#awaitListening(config.startTimeoutMs);
      record.startupMs = round3(performance.now() - t0);
    } catch (err) {
      await server.stop(1000);
      throw err;
    }
    server.sample(); // remember the tree as started (pool children)
    return server;
  }

  /**
   * Starts a user's server from its command (`--server NAME=COMMAND`): `{port}` becomes a port that was
   * free a moment ago (bound to port 0 and released: another process could take it in between, which
   * then shows as a start failure and is retried), and the server is ready when that port accepts a
   * connection. Run without a shell, in a process group of its own, like the built-in designs, so its
   * pid is the server's own and its whole tree is measured and stopped.
   * A fixed port (`name:PORT=…`) already in use is refused before anything is spawned, and once the port
   * accepts, its listener must be held by the server's own processes (PortInUseError otherwise): loadgen
   * never measures a process that happened to be there.
   */
  static async startExternal(spec: ExternalServerSpec, index: number, config: Pick<ResolvedSweepConfig, 'host' | 'startTimeoutMs'>): Promise<ServerProcess> {
    if (spec.port !== null && !(await portIsFree(config.host, spec.port))) {
      throw new PortInUseError(`${spec.name}: port ${spec.port} on ${config.host} is already in use; the server was not started (stop what listens there, or give ${spec.name} another port)`);
    }
    const port = spec.port ?? (await freePort(config.host));
    const command = fillCommand(spec, config.host, port);
    const startedAt = new Date();
    const t0 = performance.now();
    const { env, marker } = markedEnv();
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    child.stdout?.on('data', () => {}); // drained, never parsed: a server that logs must not block on a full pipe
    const record: ServerInstance = {
      index, design: spec.name, package: 'external', command, pid: child.pid ?? null, port: null,
      startedAt: startedAt.toISOString(), startupMs: null, io: null, stop: null, stderrTail: '',
    };
    const server = new ServerProcess(child, record, config.host, marker);
    try {
      await server.#awaitAccepting(port, config.startTimeoutMs);
      if (HAS_PROCFS && listenerHeldBy(port, server.#ownPids()) === false) {
        throw new PortInUseError(`${spec.name}: port ${port} accepts connections, but no process of the server holds its listener (another process took the port)`);
      }
      record.port = port;
      record.startupMs = round3(performance.now() - t0);
    } catch (err) {
      record.port = port;
      await server.stop(1000);
      throw err;
    }
    server.sample();
    return server;
  }

  /** Polls until `port` accepts a connection (closed at once), the process exits, or the timeout. */
  async #awaitAccepting(port: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const what = `${this.record.design} (${escapeForLog(this.record.command.join(' '))})`;
    let spawnError: Error | null = null;
    this.child.once('error', (err) => (spawnError = err));
    for (;;) {
      if (spawnError) throw new ServerStartError(`${what}: could not be started: ${(spawnError as Error).message}`);
      if (this.exited) {
        await this.#releasePipes(); // its last words
        throw new ServerStartError(`${what}: exited before accepting connections (${this.child.signalCode ?? `code ${this.child.exitCode}`})${this.#stderrText()}`);
      }
      if (await accepts(this.host, port)) return;
      if (performance.now() >= deadline) throw new ServerStartError(`${what}: port ${port} did not accept a connection within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, ACCEPT_POLL_MS));
    }
  }

  #awaitListening(timeoutMs: number): Promise<number> {
    const stdout = this.child.stdout!;
    return new Promise((resolve, reject) => {
      let buffered = '';
      const cleanup = () => {
        clearTimeout(timer);
        stdout.off('data', onData);
        this.child.off('exit', onExit);
        this.child.off('error', onError);
        // Keep draining. Later lines are dropped unparsed, except a prefork server's `idle` lines, each
        // children's cumulative share of the connections (lifecycle lines: logged under --quiet too).
        let rest = buffered;
        stdout.on('data', (chunk: Buffer) => {
          rest += chunk.toString('utf8');
          let nl;
          while ((nl = rest.indexOf('\n')) !== -1) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            if (line.includes('"event":"idle"')) this.#onIdleLine(line);
          }
          if (rest.length > MAX_LINE_BYTES) rest = '';
        });
      };
      const fail = (message: string) => {
        cleanup();
        reject(new ServerStartError(`${this.record.design}: ${message}${this.#stderrText()}`));
      };
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          let entry: { event?: unknown; port?: unknown; io?: unknown } | null = null;
          try {
            entry = JSON.parse(line) as { event?: unknown; port?: unknown; io?: unknown };
          } catch {
            continue; // not a JSON log line
          }
          if (entry && entry.event === 'listening' && typeof entry.port === 'number') {
            // Which thread does the socket I/O, for a design that can do either (server-mt).
            if (entry.io === 'thread' || entry.io === 'main') this.record.io = entry.io;
            cleanup();
            return resolve(entry.port);
          }
        }
        if (buffered.length > MAX_LINE_BYTES) buffered = '';
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited before listening (${signal ?? `code ${code}`})`);
      const onError = (err: Error) => fail(`could not be spawned: ${err.message}`);
      const timer = setTimeout(() => fail(`no "listening" log line within ${timeoutMs} ms`), timeoutMs);
      stdout.on('data', onData);
      this.child.once('exit', onExit);
      this.child.once('error', onError);
    });
  }

  /** The end of its stderr for a message: its last lines, escaped and capped (a hostile server's bytes). */
  #stderrText(): string {
    const tail = this.#stderr.trim().slice(-STDERR_SHOWN_CHARS);
    return tail ? `; stderr: ${escapeForLog(tail, STDERR_SHOWN_CHARS)}` : '';
  }

  /** The server's processes: its tree now and everything carrying its marker. */
  #ownPids(): Set<number> {
    return new Set([...processTree(this.pid), ...markedPids(this.marker)]);
  }

  /**
   * After its exit: a moment for the last stderr bytes, then its pipes are closed on our side, so that a
   * stray process holding their other ends (a daemon it left) never keeps loadgen waiting.
   */
  async #releasePipes(): Promise<void> {
    const open = [this.child.stdout, this.child.stderr].filter((s) => s && !s.destroyed);
    if (open.length === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, PIPE_GRACE_MS);
      this.child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const s of open) s!.destroy();
  }

  #onIdleLine(line: string): void {
    let entry: { accept?: unknown; accepted?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if ((entry.accept !== 'rr' && entry.accept !== 'os' && entry.accept !== 'reuseport') || typeof entry.accepted !== 'string') return;
    const accepted = entry.accepted.split(',').map(Number);
    if (accepted.some((n) => !Number.isInteger(n) || n < 0)) return;
    this.#shares = { accept: entry.accept, accepted };
    for (const wake of this.#shareWaiters) wake();
  }

  /** mp-prefork-*: the children's cumulative accepted counts, from the latest `idle` line; null before one. */
  get acceptCounts(): AcceptCounts | null {
    return this.#shares;
  }

  /**
   * Waits (at most `timeoutMs`) for an `idle` line counting at least `total` connections in all; returns
   * the latest counts then (null if none ever came). The server logs one each time its last connection
   * has closed, which it learns a moment after the clients do.
   */
  async acceptCountsAtLeast(total: number, timeoutMs: number): Promise<AcceptCounts | null> {
    const sum = () => (this.#shares ? this.#shares.accepted.reduce((a, b) => a + b, 0) : -1);
    if (sum() >= total) return this.#shares;
    await new Promise<void>((resolve) => {
      const done = () => {
        if (sum() < total) return;
        clearTimeout(timer);
        this.#shareWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#shareWaiters.delete(done);
        resolve();
      }, timeoutMs);
      this.#shareWaiters.add(done);
    });
    return this.#shares;
  }

  /** Samples the server's process tree (null without /proc or once it has exited). */
  sample(): TreeSample | null {
    if (this.exited || !HAS_PROCFS) return null;
    const s = sampleTree(this.pid);
    if (s) for (const [pid, start] of s.processes) this.#seen.set(pid, start);
    return s;
  }

  /** Processes in the tree now (root included); null without /proc. */
  processCount(): number | null {
    if (this.exited || !HAS_PROCFS) return null;
    return processTree(this.pid).length;
  }

  /**
   * SIGTERM (the servers' graceful shutdown), SIGKILL to the whole process group after `timeoutMs`;
   * then checks that nothing was left behind: no process of its tree or group alive, the port free.
   */
  async stop(timeoutMs: number): Promise<ServerStop> {
    if (this.record.stop) return this.record.stop;
    this.sample();
    const pid = this.pid;
    const t0 = performance.now();
    let forcedKill = false;
    if (!this.exited && pid > 0) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        forcedKill = true;
        killGroup(pid);
      }, timeoutMs);
      await this.#exit;
      clearTimeout(timer);
    }
    const { code, signal } = await this.#exit;
    const stopMs = round3(performance.now() - t0);
    await this.#releasePipes();
    const leftoverPids = HAS_PROCFS && pid > 0 ? await this.#reapLeftovers(pid) : [];
    watchGroup(pid, false);
    const portFree = this.record.port === null ? null : await portIsFree(this.host, this.record.port);
    const stop: ServerStop = {
      stopMs,
      exitCode: code,
      exitSignal: signal,
      forcedKill,
      leftoverPids,
      portFree,
      // A user's server may simply die of the SIGTERM it was sent (Node's and most runtimes' default):
      // that is a clean stop for it; the built-in designs handle SIGTERM and exit 0.
      clean: (code === 0 || (this.record.package === 'external' && (signal === 'SIGTERM' || code === 143))) && !forcedKill && leftoverPids.length === 0 && portFree !== false,
    };
    this.record.stop = stop;
    LIVE.delete(this);
    return stop;
  }

  /**
   * Finds processes of its tree (seen while sampling), its group or carrying its marker (however they
   * detached: double fork, setsid) still alive, kills them, returns their pids.
   */
  async #reapLeftovers(root: number): Promise<number[]> {
    // Children exit on their own once the parent's IPC channel closes: give them a moment first.
    const deadline = Date.now() + 1000;
    let alive: number[] = [];
    do {
      alive = [...this.#seen].filter(([p, start]) => p !== root && isAlive(p, start)).map(([p]) => p);
      for (const s of allStats()) if (s.pgrp === root && s.pid !== root && s.state !== 'Z' && !alive.includes(s.pid)) alive.push(s.pid);
      for (const p of markedPids(this.marker)) if (p !== root && !alive.includes(p)) alive.push(p);
      if (alive.length === 0) return [];
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    for (const p of alive) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return alive.sort((a, b) => a - b);
  }
}

/** Polling period while waiting for an external server's port to accept, ms. */
const ACCEPT_POLL_MS = 25;

/** mp-prefork-*: who accepted, and each child's (by place) cumulative accepted connections. */
export interface AcceptCounts {
  accept: 'rr' | 'os' | 'reuseport';
  accepted: number[];
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Servers still running, so an exiting loadgen can kill them synchronously (see killAllServersSync). */
const LIVE = new Set<ServerProcess>();

/** Last resort on process exit: SIGKILL every server process group loadgen started and has not stopped, and what carries their markers. */
export function killAllServersSync(): void {
  for (const s of LIVE) {
    if (!s.exited && s.pid > 0) killGroup(s.pid);
    for (const p of markedPids(s.marker)) killGroup(p);
  }
}

/** What a run samples of its server: one loadgen started (ServerProcess) or the --target's (TargetProcess). */
export type SampledServer = Pick<ServerProcess, 'port' | 'sample' | 'processCount' | 'acceptCounts' | 'acceptCountsAtLeast'>;
