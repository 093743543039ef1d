import net from 'node:net';
import { createHistogram, encodeHistogram, recordUs, type Histogram } from '@socketlab/results';
import { createFramer, encodeFor, formatExpectation, matches, type AdapterReply } from './adapters.ts';
import type { ClientReport, ClientSpec, FailureKind, PrepareMessage } from './messages.ts';

/** Absolute time, ms, comparable across loadgen's processes (see the README's clock notes). */
export const now = (): number => performance.timeOrigin + performance.now();

/** After `Goodbye!`, how long we wait for the server to close the connection before cutting it, ms. */
const CLOSE_GRACE_MS = 1000;
/** Error messages kept per client, for the run's errorSamples. */
const MAX_MESSAGES = 3;

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
export function runClient(spec: ClientSpec, run: Pick<PrepareMessage, 'host' | 'port' | 'connectTimeoutMs' | 'runTimeoutMs' | 'protocol' | 'raw' | 'exit'>, histogram: Histogram, signal?: AbortSignal, gate?: ReleaseGate): Promise<ClientReport> {
  return new Promise((resolve) => {
    const report: ClientReport = {
      index: spec.index, connectAt: null, firstReplyAt: null, doneAt: null, endAt: 0,
      tasksSent: 0, tasksOk: 0, wrongResult: 0, protocol: {}, failure: null, messages: [],
    };
    const note = (message: string) => {
      if (report.messages.length < MAX_MESSAGES) report.messages.push(`client ${spec.index}: ${message}`);
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

    const socket = net.connect({ host: run.host, port: run.port });
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
      signal?.removeEventListener('abort', onAbort);
      passGate(); // a client that failed before the release is settled too
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
    const onAbort = () => done('other', 'aborted: the sweep was interrupted');
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    const startRunTimer = () => {
      runTimer = setTimeout(() => done('timeout', `not finished within ${run.runTimeoutMs} ms of the release`), run.runTimeoutMs);
    };
    if (!gate) startRunTimer();

    const send = () => {
      const request = step < spec.requests.length ? spec.requests[step]! : run.exit.request;
      if (step < spec.requests.length) report.tasksSent++;
      sentAt = performance.now();
      socket.write(encodeFor(run.protocol, request));
    };

    /** Handles one reply; false when the client is done (Goodbye, or a failure). */
    const onReply = (reply: AdapterReply, at: number): boolean => {
      report.firstReplyAt ??= now();
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
      send();
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
      try {
        framer.push(chunk);
        let reply;
        while (!settled && (reply = framer.next(expectedNow())) !== null) {
          if (!onReply(reply, performance.now())) return;
        }
      } catch (err) {
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
  const histogram = createHistogram();
  const clients = await Promise.all(prepared.clients.map((spec) => runClient(spec, prepared, histogram, signal, gate)));
  return { clients, histogram: encodeHistogram(histogram) };
}
