import net from 'node:net';
import { ReplyDecoder, encodeRequest } from '@socketlab/protocol';
import { createHistogram, encodeHistogram, recordUs, type Histogram } from '@socketlab/results';
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
 * One client, the lesson's way: connect, send each request and wait for its reply, send EXIT, wait for
 * `Goodbye!`. Every reply is checked against the expected value. Never rejects: failures are reported.
 * With a `gate`, the first request waits for the release (connect-then-release).
 */
export function runClient(spec: ClientSpec, run: Pick<PrepareMessage, 'host' | 'port' | 'connectTimeoutMs' | 'runTimeoutMs'>, histogram: Histogram, signal?: AbortSignal, gate?: ReleaseGate): Promise<ClientReport> {
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
      const request = step < spec.requests.length ? spec.requests[step]! : 'EXIT';
      if (step < spec.requests.length) report.tasksSent++;
      sentAt = performance.now();
      socket.write(encodeRequest(request));
    };

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
    socket.on('close', () => done(report.doneAt !== null ? null : 'closed', report.doneAt !== null ? undefined : 'the server closed the connection before replying'));
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      decoder.push(chunk);
      try {
        let reply;
        while (!settled && (reply = decoder.next()) !== null) {
          const at = performance.now();
          report.firstReplyAt ??= now();
          const isExit = step >= spec.requests.length;
          const request = isExit ? 'EXIT' : spec.requests[step]!;
          // Not for a reply that came before the request was sent (an ERR to a client waiting for the release).
          if (!isExit && report.tasksSent > step) recordUs(histogram, (at - sentAt) * 1000);
          if (!reply.ok) {
            const code = reply.error.code;
            report.protocol[code] = (report.protocol[code] ?? 0) + 1;
            note(`${request} → ERR ${code} ${reply.error.message}`);
            // Stream-level errors close the connection (docs/protocol.md), and an ERR to EXIT means no Goodbye.
            if (reply.error.fatal || isExit) return done('protocol');
          } else {
            const value = reply.value.toString('utf8');
            const expected = isExit ? 'Goodbye!' : spec.expected[step] ?? null;
            if (expected !== null && value !== expected) {
              report.wrongResult++;
              note(`${request} → expected ${JSON.stringify(expected)}, got ${JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value)}`);
            } else if (!isExit) {
              report.tasksOk++;
            }
            if (isExit) {
              report.doneAt = now();
              return done(null);
            }
          }
          step++;
          send();
        }
      } catch (err) {
        done('other', `undecodable reply: ${(err as Error).message}`);
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
