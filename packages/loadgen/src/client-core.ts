import net from 'node:net';
import { encodeOk } from '@socketlab/protocol';
import { createHistogram, encodeHistogram, recordUs, type Histogram } from '@socketlab/results';
import { ReplyTooLargeError } from './errors.ts';
import { createFramer, encodeFor, errorText, formatExpectation, matches, type AdapterReply, type Expectation, type ProtocolName } from './adapters.ts';
import { failureOf, type FailureKind } from './failure.ts';
import type { ClientReport, ClientSpec, PrepareMessage } from './messages.ts';

/** Absolute time, ms, comparable across loadgen's processes (see the README's clock notes). */
export const now = (): number => performance.timeOrigin + performance.now();

/** After `Goodbye!`, how long we wait for the server to close the connection before cutting it, ms. */
const CLOSE_GRACE_MS = 1000;
/** Error messages kept per client, for the run's errorSamples. */
const MAX_MESSAGES = 3;


/**
 * The bytes of a run's requests and of the replies they expect, encoded once per distinct request: a
 * workload has a handful of distinct requests, and encoding one per send and decoding every reply to a
 * string to compare it were most of a client's own per-request CPU.
 */
export class WireCache {
  readonly #protocol: ProtocolName;
  readonly #requests = new Map<string, Buffer>();
  readonly #replies = new Map<string, Buffer | null>();

  constructor(protocol: ProtocolName) {
    this.#protocol = protocol;
  }

  /** `request` as the run's protocol sends it. */
  request(request: string): Buffer {
    let bytes = this.#requests.get(request);
    if (bytes === undefined) this.#requests.set(request, (bytes = encodeFor(this.#protocol, request)));
    return bytes;
  }

  /**
   * The exact reply line a socketlab server sends when the value is `expected` (`OK <value>\n`, as
   * encodeOk writes it), or null when a byte comparison cannot decide: another protocol, no expectation
   * or not an exact one, or a string that does not survive the UTF-8 round trip (a lone surrogate),
   * which the decoded comparison must judge.
   */
  reply(expected: Expectation | null): Buffer | null {
    if (this.#protocol !== 'socketlab' || expected === null || expected.kind !== 'exact') return null;
    let bytes = this.#replies.get(expected.value);
    if (bytes === undefined) {
      bytes = encodeOk('text', expected.value);
      if (bytes.toString('utf8', 3, bytes.length - 1) !== expected.value) bytes = null;
      this.#replies.set(expected.value, bytes);
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
  readonly wire: WireCache;
  readonly #aborts = new Set<() => void>();
  readonly #signal: AbortSignal | undefined;
  #aborted: boolean;

  constructor(protocol: ProtocolName, signal?: AbortSignal) {
    this.wire = new WireCache(protocol);
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

/**
 * connect-then-release: each client calls `connected()` once it has connected or failed, and sends its
 * first request only when `released` resolves; its run timeout counts from then.
 */
export interface ReleaseGate {
  connected(): void;
  readonly released: Promise<void>;
}

/**
 * One client, the lesson's way: connect, send each request and wait for its reply, send the exit
 * request (EXIT), wait for its reply (`Goodbye!`). Every reply is checked against its expectation, in
 * the run's protocol (adapters.ts). Never rejects: failures are reported. With a `gate`, the first
 * request waits for the release (connect-then-release).
 */
export function runClient(
  spec: ClientSpec,
  run: Pick<PrepareMessage, 'host' | 'port' | 'connectTimeoutMs' | 'runTimeoutMs' | 'protocol' | 'raw' | 'exit' | 'sourceAddresses' | 'timeline'>,
  shared: RunShared,
  gate?: ReleaseGate,
): Promise<ClientReport> {
  const { histogram, wire } = shared;
  return new Promise((resolve) => {
    const report: ClientReport = {
      index: spec.index, connectAt: null, firstReplyAt: null, doneAt: null, endAt: 0,
      tasksSent: 0, tasksOk: 0, wrongResult: 0, protocol: {}, failure: null, messages: [],
    };
    // Absolute times from the performance.now() readings the client takes anyway (no extra clock reads).
    const origin = performance.timeOrigin;
    const timeline: ClientReport['timeline'] | null = run.timeline ? (report.timeline = { sentAt: [], replyAt: [], closeAt: null }) : null;
    const note = (message: string) => {
      // Escaped and capped: the text may be a server's (an ERR message, a reply), stored and printed.
      if (report.messages.length < MAX_MESSAGES) report.messages.push(`client ${spec.index}: ${errorText(message)}`);
    };
    const framer = createFramer(run.protocol, run.raw);
    let gapTimer: NodeJS.Timeout | undefined;
    let step = 0; // index of the request awaiting its reply; spec.requests.length means the exit request
    let sentAt = 0;
    let settled = false;
    let gatePassed = false;
    // Declared before done(), which clears them: a signal aborted before the first connect calls done() at once.
    const connectTimer = setTimeout(() => done('timeout', `no connection within ${run.connectTimeoutMs} ms`), run.connectTimeoutMs);
    let runTimer: NodeJS.Timeout | undefined;
    const passGate = () => {
      if (gate && !gatePassed) {
        gatePassed = true;
        gate.connected();
      }
    };

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
      clearTimeout(gapTimer);
      unregisterAbort();
      passGate(); // a client that failed before the release is settled too
      if (failure === null) {
        // The server closes after Goodbye!; wait for that so the next run starts from a quiet server.
        const cut = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
        socket.once('close', () => {
          clearTimeout(cut);
          if (timeline) timeline.closeAt = now();
          resolve(report);
        });
        socket.end();
        if (socket.destroyed) {
          clearTimeout(cut);
          if (timeline) timeline.closeAt ??= now();
          resolve(report);
        }
      } else {
        socket.destroy();
        if (timeline && report.connectAt !== null) timeline.closeAt = now();
        resolve(report);
      }
    };
    const unregisterAbort = shared.onAbort(() => done('other', 'aborted: the sweep was interrupted'));

    const startRunTimer = () => {
      runTimer = setTimeout(() => done('timeout', `not finished within ${run.runTimeoutMs} ms of the release`), run.runTimeoutMs);
    };
    if (!gate) startRunTimer();

    /**
     * Sends the request of `step`. `at`: when the reply before it arrived; the request goes out in the same
     * tick, so that reading of the clock is its send time too (one clock read per request, not two: a
     * clock read costs ~0.3 µs on the reference machine).
     */
    const send = (at = performance.now()) => {
      const isExit = step >= spec.requests.length;
      if (!isExit) report.tasksSent++;
      sentAt = at;
      timeline?.sentAt.push(origin + at);
      socket.write(wire.request(isExit ? run.exit.request : spec.requests[step]!));
    };

    /** Handles one reply; false when the client is done (Goodbye, or a failure). */
    const onReply = (reply: AdapterReply, at: number): boolean => {
      report.firstReplyAt ??= now();
      timeline?.replyAt.push(origin + at);
      const isExit = step >= spec.requests.length;
      const request = isExit ? run.exit.request : spec.requests[step]!;
      // Not for a reply that came before the request was sent (an ERR to a client waiting for the release).
      if (!isExit && report.tasksSent > step) recordUs(histogram, (at - sentAt) * 1000);
      if (!reply.ok) {
        report.protocol[reply.code] = (report.protocol[reply.code] ?? 0) + 1;
        note(`${request} → ERR ${reply.code} ${reply.message}`);
        // Stream-level errors close the connection (docs/protocol.md), and an ERR to EXIT means no Goodbye.
        if (reply.fatal || isExit) {
          done('protocol');
          return false;
        }
      } else {
        const expected = isExit ? run.exit.expected : spec.expected[step] ?? null;
        if (expected !== null && !matches(expected, reply.value)) {
          report.wrongResult++;
          note(`${request} → expected ${formatExpectation(expected)}, got ${JSON.stringify(reply.value.length > 80 ? reply.value.slice(0, 80) + '…' : reply.value)}`);
          // A wrong reply to the exit request is no Goodbye: the client did not finish properly.
          if (isExit) {
            done('protocol');
            return false;
          }
        } else if (!isExit) {
          report.tasksOk++;
        }
        if (isExit) {
          report.doneAt = now();
          done(null);
          return false;
        }
      }
      step++;
      send(at);
      return true;
    };

    /** The framer's expectation hint: lets a raw reply end as soon as the expected text arrived. */
    const expectedNow = () => (step >= spec.requests.length ? run.exit.expected : spec.expected[step] ?? null);

    socket.once('connect', () => {
      report.connectAt = now();
      clearTimeout(connectTimer);
      if (!gate) return send();
      passGate();
      void gate.released.then(() => {
        // A server that closed while we waited: its FIN already ended our side; 'close' reports it as closed.
        if (settled || !socket.writable) return;
        startRunTimer();
        send();
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done(failureOf(err), `${err.code ?? 'error'}: ${err.message}`));
    // The peer closing ends a pending raw reply too (a lesson server closes right after Goodbye!).
    socket.on('end', () => {
      if (settled || !framer.pending()) return;
      clearTimeout(gapTimer);
      const reply = framer.flush();
      if (reply) onReply(reply, performance.now());
    });
    socket.on('close', () => done(report.doneAt !== null ? null : 'closed', report.doneAt !== null ? undefined : 'the server closed the connection before replying'));
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      clearTimeout(gapTimer);
      // Fast path (socketlab): with one request in flight, a chunk is usually exactly its reply. If its
      // bytes are the expected reply line, the reply is right (the check the slow path makes on the
      // decoded value). Anything else, an ERR, a wrong value, a reply split over chunks, is decoded.
      if (framer.idle()) {
        const expected = expectedNow();
        const line = wire.reply(expected);
        if (line !== null && sameBytes(chunk, line)) {
          onReply({ ok: true, value: expected!.value }, performance.now());
          return;
        }
      }
      try {
        framer.push(chunk);
        let reply;
        while (!settled && (reply = framer.next(expectedNow())) !== null) {
          if (!onReply(reply, performance.now())) return;
        }
      } catch (err) {
        if (err instanceof ReplyTooLargeError) {
          report.protocol[err.code] = (report.protocol[err.code] ?? 0) + 1;
          return done('protocol', `${err.code}: ${err.message}`);
        }
        return done('other', `undecodable reply: ${(err as Error).message}`);
      }
      // raw framing by quiet gap: the bytes so far are the whole reply if nothing follows for gapMs.
      if (!settled && framer.gapMs !== null && framer.pending()) {
        const arrivedAt = performance.now();
        gapTimer = setTimeout(() => {
          const reply = framer.flush();
          if (reply && !settled) onReply(reply, arrivedAt);
        }, framer.gapMs);
      }
    });
  });
}

/** Runs a prepared set of clients at once; resolves when every one has finished. */
export async function runClients(prepared: PrepareMessage, signal?: AbortSignal, gate?: ReleaseGate): Promise<{ clients: ClientReport[]; histogram: string }> {
  const shared = new RunShared(prepared.protocol, signal);
  try {
    const clients = await Promise.all(prepared.clients.map((spec) => runClient(spec, prepared, shared, gate)));
    return { clients, histogram: encodeHistogram(shared.histogram) };
  } finally {
    shared.close();
  }
}
