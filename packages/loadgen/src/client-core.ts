import net from 'node:net';
import { GOODBYE, ReplyDecoder, encodeOk, encodeRequest } from '@socketlab/protocol';
import { createHistogram, encodeHistogram, recordUs, type Histogram } from '@socketlab/results';
import type { ClientReport, ClientSpec, FailureKind, PrepareMessage } from './messages.ts';

/** Absolute time, ms, comparable across loadgen's processes (see the README's clock notes). */
export const now = (): number => performance.timeOrigin + performance.now();

/** After `Goodbye!`, how long we wait for the server to close the connection before cutting it, ms. */
const CLOSE_GRACE_MS = 1000;
/** Error messages kept per client, for the run's errorSamples. */
const MAX_MESSAGES = 3;

/**
 * The bytes of a run's requests and of the replies they expect, encoded once per distinct request: a
 * workload has a handful of distinct requests, and encoding one per send (two Buffers) and decoding
 * every reply to a string to compare it were most of a client's own per-request CPU.
 */
export class WireCache {
  readonly #requests = new Map<string, Buffer>();
  readonly #replies = new Map<string, Buffer | null>();

  /** `request` as a text-framed line. */
  request(request: string): Buffer {
    let bytes = this.#requests.get(request);
    if (bytes === undefined) this.#requests.set(request, (bytes = encodeRequest(request)));
    return bytes;
  }

  /**
   * The exact reply line a server sends when the value is `expected` (`OK <value>\n`, as encodeOk writes
   * it), or null when a byte comparison cannot decide: no expected value, or a string that does not
   * survive the UTF-8 round trip (a lone surrogate), which the decoded comparison must judge.
   */
  reply(expected: string | null): Buffer | null {
    if (expected === null) return null;
    let bytes = this.#replies.get(expected);
    if (bytes === undefined) {
      bytes = encodeOk('text', expected);
      if (bytes.toString('utf8', 3, bytes.length - 1) !== expected) bytes = null;
      this.#replies.set(expected, bytes);
    }
    return bytes;
  }
}

/**
 * What the clients of one run share: the latency histogram, the wire bytes, and one listener on the run's
 * AbortSignal for all of them. An AbortSignal's addEventListener scans the listeners it has, so one
 * listener per client made a run of N clients cost O(N²): 1.5 s of CPU to start 12,000 clients.
 */
export class RunShared {
  readonly histogram: Histogram = createHistogram();
  readonly wire = new WireCache();
  readonly #aborts = new Set<() => void>();
  readonly #signal: AbortSignal | undefined;
  #aborted: boolean;

  constructor(signal?: AbortSignal) {
    this.#signal = signal;
    this.#aborted = signal?.aborted ?? false;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  readonly #onAbort = () => {
    this.#aborted = true;
    for (const abort of this.#aborts) abort();
  };

  /**
   * Calls `abort` when the run is aborted (in a microtask if it already is, so that the caller has the
   * function returned first); returns what unregisters it.
   */
  onAbort(abort: () => void): () => void {
    if (this.#aborted) {
      queueMicrotask(abort);
      return () => {};
    }
    this.#aborts.add(abort);
    return () => this.#aborts.delete(abort);
  }

  close(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * `a` and `b` hold the same bytes. A reply line is a few bytes, and for those a loop is several times
 * cheaper than Buffer#equals, which crosses into C++ (~60 vs ~400 ns on the reference machine).
 */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  if (a.length > 64) return a.equals(b);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function failureOf(err: NodeJS.ErrnoException): FailureKind {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'other';
  }
}

/**
 * One client, the lesson's way: connect, send each request and wait for its reply, send EXIT, wait for
 * `Goodbye!`. Every reply is checked against the expected value. Never rejects: failures are reported.
 */
export function runClient(
  spec: ClientSpec,
  run: Pick<PrepareMessage, 'host' | 'port' | 'connectTimeoutMs' | 'runTimeoutMs' | 'sourceAddresses'>,
  shared: RunShared,
): Promise<ClientReport> {
  const { histogram, wire } = shared;
  return new Promise((resolve) => {
    const report: ClientReport = {
      index: spec.index, connectAt: null, firstReplyAt: null, doneAt: null, endAt: 0,
      tasksSent: 0, tasksOk: 0, wrongResult: 0, protocol: {}, failure: null, messages: [],
    };
    const note = (message: string) => {
      if (report.messages.length < MAX_MESSAGES) report.messages.push(`client ${spec.index}: ${message}`);
    };
    const decoder = new ReplyDecoder();
    let step = 0; // index of the request awaiting its reply; spec.requests.length means EXIT
    let sentAt = 0;
    let settled = false;

    const sources = run.sourceAddresses;
    const localAddress = sources.length > 0 ? sources[spec.index % sources.length] : undefined;
    const socket = net.connect({ host: run.host, port: run.port, localAddress });
    socket.setNoDelay(true);

    const done = (failure: FailureKind | null, message?: string) => {
      if (settled) return;
      settled = true;
      report.endAt = report.doneAt ?? now();
      report.failure = failure;
      if (message) note(message);
      clearTimeout(connectTimer);
      clearTimeout(runTimer);
      unregisterAbort();
      if (failure === null) {
        // The server closes after Goodbye!; wait for that so the next run starts from a quiet server.
        const cut = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
        socket.once('close', () => {
          clearTimeout(cut);
          resolve(report);
        });
        socket.end();
        if (socket.destroyed) {
          clearTimeout(cut);
          resolve(report);
        }
      } else {
        socket.destroy();
        resolve(report);
      }
    };
    const connectTimer = setTimeout(() => done('timeout', `no connection within ${run.connectTimeoutMs} ms`), run.connectTimeoutMs);
    const runTimer = setTimeout(() => done('timeout', `not finished within ${run.runTimeoutMs} ms of the release`), run.runTimeoutMs);
    const unregisterAbort = shared.onAbort(() => done('other', 'aborted: the sweep was interrupted'));

    /**
     * Sends the request of `step`. `at`: when the reply before it arrived; the request goes out in the same
     * tick, so that reading of the clock is its send time too (one clock read per request, not two: a
     * clock read costs ~0.3 µs on the reference machine).
     */
    const send = (at = performance.now()) => {
      const isExit = step >= spec.requests.length;
      if (!isExit) report.tasksSent++;
      sentAt = at;
      socket.write(wire.request(isExit ? 'EXIT' : spec.requests[step]!));
    };
    /** A reply that matched its expected value: count it, then send the next request (or finish). */
    const accepted = (isExit: boolean, at: number) => {
      if (isExit) {
        report.doneAt = now();
        return done(null);
      }
      report.tasksOk++;
      step++;
      send(at);
    };

    socket.once('connect', () => {
      report.connectAt = now();
      clearTimeout(connectTimer);
      send();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done(failureOf(err), `${err.code ?? 'error'}: ${err.message}`));
    socket.on('close', () => done(report.doneAt !== null ? null : 'closed', report.doneAt !== null ? undefined : 'the server closed the connection before replying'));
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      // Fast path: with one request in flight, a chunk is usually exactly its reply. If its bytes are the
      // expected reply line, the reply is right (the check the slow path makes on the decoded value).
      // Anything else, an ERR, a wrong value, a reply split over chunks, goes through the decoder.
      if (decoder.buffered === 0) {
        const isExit = step >= spec.requests.length;
        const line = wire.reply(isExit ? GOODBYE : spec.expected[step] ?? null);
        if (line !== null && sameBytes(chunk, line)) {
          const at = performance.now();
          if (!isExit) recordUs(histogram, (at - sentAt) * 1000);
          report.firstReplyAt ??= now();
          return accepted(isExit, at);
        }
      }
      decoder.push(chunk);
      try {
        let reply;
        while (!settled && (reply = decoder.next()) !== null) {
          const at = performance.now();
          report.firstReplyAt ??= now();
          const isExit = step >= spec.requests.length;
          const request = isExit ? 'EXIT' : spec.requests[step]!;
          if (!isExit) recordUs(histogram, (at - sentAt) * 1000);
          if (!reply.ok) {
            const code = reply.error.code;
            report.protocol[code] = (report.protocol[code] ?? 0) + 1;
            note(`${request} → ERR ${code} ${reply.error.message}`);
            // Stream-level errors close the connection (docs/protocol.md), and an ERR to EXIT means no Goodbye.
            if (reply.error.fatal || isExit) return done('protocol');
          } else {
            const value = reply.value.toString('utf8');
            const expected = isExit ? GOODBYE : spec.expected[step] ?? null;
            if (expected === null || value === expected) {
              accepted(isExit, at);
              continue;
            }
            report.wrongResult++;
            note(`${request} → expected ${JSON.stringify(expected)}, got ${JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value)}`);
            if (isExit) {
              report.doneAt = now();
              return done(null);
            }
          }
          step++;
          send(at);
        }
      } catch (err) {
        done('other', `undecodable reply: ${(err as Error).message}`);
      }
    });
  });
}

/** Runs a prepared set of clients at once; resolves when every one has finished. */
export async function runClients(prepared: PrepareMessage, signal?: AbortSignal): Promise<{ clients: ClientReport[]; histogram: string }> {
  const shared = new RunShared(signal);
  try {
    const clients = await Promise.all(prepared.clients.map((spec) => runClient(spec, prepared, shared)));
    return { clients, histogram: encodeHistogram(shared.histogram) };
  } finally {
    shared.close();
  }
}
