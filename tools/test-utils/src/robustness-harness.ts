import assert from 'node:assert/strict';
import type net from 'node:net';
import { connect, type Client, type DecodedReply, type parseInfo } from '@socketlab/protocol';
import { SPARE_CHECK_INTERVAL_MS } from '@socketlab/protocol/server';
import type { StartedServer, Variant } from './conformance.ts';
import { waitFor } from './helpers.ts';
import { describeCounts, nodeDescendants, procCounts, threadCount, waitForBaseline, type ProcCounts } from './robustness-proc.ts';
import { RawPeer, type PeerOptions } from './robustness-peer.ts';


export interface RobustnessVariant<S extends StartedServer = StartedServer> extends Variant {
  start(options: Record<string, unknown>): Promise<S>;
  /**
   * How clients are admitted: `all` at once; `one-at-a-time` (the iterative server); `max-workers`
   * (a worker per connection, at most `maxWorkers` at once; the others wait in arrival order).
   */
  admission: 'all' | 'one-at-a-time' | 'max-workers';
  /** Where tasks run: the server's own thread, worker threads, or worker processes. */
  workers: 'none' | 'threads' | 'processes';
  /**
   * The worker owns its client's socket (a process always does; a thread that was handed its socket
   * does), so it hears of a drain by message, possibly after requests its client already sent.
   */
  workerOwnsSocket?: boolean;
  /** The variant's CLI: its bin.js and the flags that select the variant. */
  cli: { bin: string; args: string[] };
  /** Kills the worker running the tasks of the client this INFO reply came from, as a crash would. Absent where the design has no worker to kill from outside. */
  killWorker?(server: S, info: ReturnType<typeof parseInfo>): void;
}

// The harness of the robustness suite (robustness.ts): limits, the per-case server with its baseline
// checks, and the small helpers its cases share.

// Small limits so that stream errors are cheap to reach; a short linger so that ended connections go quickly.
export const LIMITS = { maxLineBytes: 1024, maxFrameBytes: 4096 };
export const BASE = { lingerMs: 300, idleTimeoutMs: 10_000, limits: LIMITS };
/** Bytes a hostile client sends after its stream error, never read by the protocol. */
export const UNREAD = 200 * 1024;
/** Per-case bound on anything that should happen "within a few seconds" on a loaded 2-core machine. */
export const SOON_MS = 10_000;
export const CASE = { timeout: 90_000 };

export const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function frameHeader(length: number, version = 1, kind = 1): Buffer {
  const h = Buffer.from([0xff, version, kind, 0, 0, 0, 0, 0]);
  h.writeUInt32BE(length, 4);
  return h;
}

/** The reply's error code without its prefix, or OK. */
export function codeOf(reply: DecodedReply | undefined): string {
  if (!reply) return 'none';
  return reply.ok ? 'OK' : reply.error.code.replace(/^SOCKETLAB_ERR_/, '');
}

/** Connects, PINGs, EXITs: the server still serves. */
export async function assertServes(port: number, ms = 20_000): Promise<void> {
  const client = await connect({ port, connectTimeoutMs: ms, timeoutMs: ms });
  assert.equal(await client.request('PING'), 'PONG', 'the next client is served');
  await client.exit();
}

export interface Ctx<S extends StartedServer> {
  server: S;
  port: number;
  /** Counts with the server idle (after one client came and went). */
  base: ProcCounts;
  /** Workers alive when idle (a pool's size; 0 for a worker per connection). */
  idleWorkers: number;
  /** Opens a raw peer, destroyed when the case ends. */
  peer(options?: PeerOptions): Promise<RawPeer>;
  /** Opens a protocol client, destroyed when the case ends. */
  client(): Promise<Client>;
  /** Samples `read()` every 25 ms until stopped (or the case ends); `max` is the largest value seen. */
  sample(read: () => number): Sampler;
  /** Asserts every count is back to the idle baseline (and the server idle), within SOON_MS; returns the counts. */
  assertBaseline(what: string): Promise<ProcCounts>;
}

/**
 * Waits until the server's process tree (processes, and threads in each) has not changed for `quietMs`
 * (at most 5 s more than that): a worker started in the background has then started.
 */
export async function settledTree(quietMs: number): Promise<void> {
  const shape = () => `${nodeDescendants().length}/${[process.pid, ...nodeDescendants()].reduce((n, pid) => n + threadCount(pid), 0)}`;
  const deadline = Date.now() + 5000 + quietMs;
  let last = shape();
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 50));
    const now = shape();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

/** Starts the variant, lets one client come and go, records the idle baseline, runs `body`, and always closes. */
export async function withServer<S extends StartedServer>(v: RobustnessVariant<S>, options: Record<string, unknown>, body: (ctx: Ctx<S>) => Promise<void>): Promise<void> {
  const server = await v.start(options);
  const port = server.address.port;
  const sockets: net.Socket[] = [];
  const samplers: Sampler[] = [];
  try {
    const idleWorkers = server.stats().workers.alive;
    await assertServes(port);
    const idle = () => server.stats().connections.active === 0 && server.stats().workers.alive === idleWorkers && procCounts(port).sockets === 0;
    assert.ok(await waitFor(idle, SOON_MS), 'the server is idle after one client');
    // Where spares are kept, the one the client took is replaced at the next spare check (up to
    // SPARE_CHECK_INTERVAL_MS later), and a one-shot worker exits after its client: let the tree settle.
    const spares = v.admission === 'max-workers' && idleWorkers > 0;
    await settledTree(spares ? SPARE_CHECK_INTERVAL_MS + 300 : 300);
    assert.ok(await waitFor(idle, SOON_MS), 'the server is idle once its tree has settled');
    const base = procCounts(port);
    await body({
      server,
      port,
      base,
      idleWorkers,
      peer: async (o) => {
        const p = await RawPeer.open(port, o);
        sockets.push(p.socket);
        return p;
      },
      client: async () => {
        const c = await connect({ port, connectTimeoutMs: SOON_MS });
        sockets.push(c.socket);
        return c;
      },
      sample: (read) => {
        const s = sampler(read);
        samplers.push(s);
        return s;
      },
      assertBaseline: async (what) => {
        for (const s of sockets) s.destroy();
        assert.ok(await waitFor(() => server.stats().connections.active === 0, SOON_MS), `${what}: connections still active: ${JSON.stringify(server.stats().connections)}`);
        assert.ok(await waitFor(() => server.stats().workers.alive === idleWorkers, SOON_MS), `${what}: workers alive ${server.stats().workers.alive}, idle ${idleWorkers}`);
        const { now, diff } = await waitForBaseline(port, base, SOON_MS);
        assert.equal(diff, null, `${what}: not back to baseline (${describeCounts(base)}): ${diff}`);
        return now;
      },
    });
  } finally {
    for (const s of samplers) s.stop();
    for (const s of sockets) s.destroy();
    await server.close();
  }
}

/** The option capping a worker-per-connection design at `maxWorkers` (other designs take none). */
export function capped(v: RobustnessVariant, maxWorkers: number): Record<string, unknown> {
  return v.admission === 'max-workers' ? { maxWorkers } : {};
}

/** Clients served at once: 1 for the iterative server, `maxWorkers` where capped, else unbounded. */
export function capacityOf(v: RobustnessVariant, maxWorkers: number): number {
  return v.admission === 'one-at-a-time' ? 1 : v.admission === 'max-workers' ? maxWorkers : Infinity;
}

export interface Sampler {
  readonly max: number;
  /** Stops sampling; returns the largest value seen. */
  stop(): number;
}

export function sampler(read: () => number): Sampler {
  let max = read();
  const timer = setInterval(() => (max = Math.max(max, read())), 25);
  return {
    get max() {
      return max;
    },
    stop() {
      clearInterval(timer);
      return (max = Math.max(max, read()));
    },
  };
}

export const STREAM_ERRORS: { code: string; what: string; head: Buffer }[] = [
  { code: 'LINE_TOO_LONG', what: '200 KiB without a newline', head: Buffer.alloc(0) },
  { code: 'FRAME_TOO_LARGE', what: 'a 1 MiB frame header, then 200 KiB', head: frameHeader(1 << 20) },
  { code: 'MALFORMED_FRAME', what: 'a version-7 frame header, then 200 KiB', head: frameHeader(4, 7) },
  { code: 'HTTP_REQUEST', what: 'an HTTP POST with a 200 KiB body', head: Buffer.from(`POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${UNREAD}\r\n\r\n`) },
];
