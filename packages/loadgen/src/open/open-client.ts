import net from 'node:net';
import { createHistogram, encodeHistogram, recordUs } from '@socketlab/results';
import { ReplyTooLargeError } from '../errors.ts';
import { createFramer, encodeFor, errorText, matches, type Expectation, type ReplyFramer } from '../adapters.ts';
import { failureOf, type FailureKind } from '../failure.ts';
import { arrivalTimes } from './schedule.ts';
import type { OpenConnectionReport, OpenPrepareMessage, OpenShare, OpenShareReport } from './messages.ts';

/** After `Goodbye!`, how long a connection waits for the server to close before cutting it, ms (as the closed client). */
const CLOSE_GRACE_MS = 1000;
/** Error messages kept per process, for the run's errorSamples. */
const MAX_MESSAGES = 10;

/** Absolute time (performance.timeOrigin + performance.now()), ms, of a performance.now() reading. */
const abs = (t: number): number => performance.timeOrigin + t;

/** A request on the wire: when it should have been sent (its arrival) and when it was, performance.now() ms. */
interface Pending {
  intended: number;
  sentAt: number;
  template: number;
}

/** One of the process's connections. */
class Conn {
  readonly socket: net.Socket;
  readonly framer: ReplyFramer = createFramer('socketlab');
  /** Requests awaiting their replies, in order (replies come back in request order, docs/protocol.md). */
  readonly outstanding: Pending[] = [];
  readonly report: OpenConnectionReport = { connectAt: null, firstReplyAt: null, doneAt: null, endAt: 0, failure: null };
  connected = false;
  exitSent = false;
  /** True once the connection failed, was cut, or ended after Goodbye: it takes no more requests. */
  finished = false;
  /** Resolves when the socket has closed (or was destroyed). */
  readonly closed: Promise<void>;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  get usable(): boolean {
    return this.connected && !this.finished && !this.exitSent;
  }
}

/**
 * One loadgen process's share of an open-model run (src/open/): its connections, its arrival schedule,
 * its queue and its counts. `connect()` before the release; `run()` at the release.
 *
 * Pacing: one timer, re-armed for the next arrival's intended time; each wake-up issues every arrival
 * whose intended time has passed, keeping that intended time. A timer per arrival would cost one
 * allocation and one timer-heap operation per request at high rates; and a late wake-up (timer
 * granularity, a busy event loop) delays the sends but not the intended times, so the lateness is part
 * of the response time, as in wrk2, and is also recorded on its own (pacingLag) to tell a slow generator
 * from a slow server.
 *
 * Slots: each connection carries at most maxInFlight requests; a free slot is a token in a FIFO (a
 * connection's token goes back when one of its replies arrives), so picking a slot is O(1) and the load
 * rotates over the connections. An arrival that finds no token waits in the queue (FIFO) and is sent,
 * late, as soon as a reply frees a slot; one that finds the queue at queueLimit is dropped.
 */
export class OpenShareRunner {
  readonly #prep: OpenPrepareMessage;
  readonly #share: OpenShare;
  readonly #conns: Conn[] = [];
  readonly #bytes: Buffer[];
  readonly #expect: (Expectation | null)[];
  readonly #exitBytes = encodeFor('socketlab', 'EXIT');
  readonly #response = createHistogram();
  readonly #service = createHistogram();
  readonly #lag = createHistogram();
  /** Free slots: connections, one entry per free slot. Head index rather than shift(): O(1). */
  #tokens: Conn[] = [];
  #tokenHead = 0;
  /** Arrivals waiting for a slot: intended time and template, as parallel arrays with a head index. */
  #queueAt: number[] = [];
  #queueTemplate: number[] = [];
  #queueHead = 0;
  #nextTemplate = 0;
  #counts = { arrivals: 0, sent: 0, sentLate: 0, dropped: 0, unsent: 0, completed: 0, errorReplies: 0, wrongValues: 0, timeouts: 0, lost: 0, peakQueued: 0 };
  #protocol: Record<string, number> = {};
  #inSystemMs = 0;
  #messages: string[] = [];
  #t0 = 0;
  #lastReplyAt: number | null = null;
  #drainEndAt = 0;
  /** pacing → draining → closing → done */
  #phase: 'idle' | 'pacing' | 'draining' | 'closing' | 'done' = 'idle';
  #timer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #onDrained: (() => void) | null = null;

  constructor(prep: OpenPrepareMessage) {
    this.#prep = prep;
    this.#share = prep.share;
    this.#bytes = prep.share.requests.map((r) => encodeFor('socketlab', r));
    this.#expect = prep.share.expected.map((v) => (v === null ? null : { kind: 'exact', value: v }));
  }

  #note(message: string): void {
    // Escaped and capped: the text may be a server's (an ERR message, a reply), stored and printed.
    if (this.#messages.length < MAX_MESSAGES) this.#messages.push(`process ${this.#share.processIndex}: ${errorText(message)}`);
  }

  /** Opens every connection; resolves when each has connected or failed (never rejects). */
  connect(): Promise<void> {
    const { host, port, connectTimeoutMs } = this.#prep;
    return Promise.all(
      Array.from({ length: this.#share.connections }, (_, i) => {
        const c = new Conn(host, port);
        this.#conns.push(c);
        return new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#fail(c, 'timeout', `connection ${i}: no connection within ${connectTimeoutMs} ms`);
            resolve();
          }, connectTimeoutMs);
          c.socket.once('connect', () => {
            clearTimeout(timer);
            c.connected = true;
            c.report.connectAt = abs(performance.now());
            resolve();
          });
          c.socket.on('error', (err: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            this.#fail(c, failureOf(err), `connection ${i}: ${err.code ?? 'error'}: ${err.message}`);
            resolve();
          });
          c.socket.on('close', () => {
            clearTimeout(timer);
            if (c.report.doneAt === null) this.#fail(c, 'closed', `connection ${i}: the server closed the connection`);
            resolve();
          });
          c.socket.on('data', (chunk: Buffer) => this.#onData(c, i, chunk));
        });
      }),
    ).then(() => {
      // Tokens interleaved over the connections: the first maxInFlight rounds visit each in turn.
      for (let k = 0; k < this.#share.maxInFlight; k++) for (const c of this.#conns) if (c.usable) this.#tokens.push(c);
    });
  }

  /** A connection failed (or was cut): its outstanding requests are lost, in the system until now. */
  #fail(c: Conn, failure: FailureKind, message: string): void {
    if (c.finished) return;
    c.finished = true;
    const now = performance.now();
    c.report.failure = failure;
    c.report.endAt = abs(now);
    this.#note(message);
    for (const p of c.outstanding) this.#inSystemMs += now - p.intended;
    this.#counts.lost += c.outstanding.length;
    c.outstanding.length = 0;
    c.socket.destroy();
    this.#checkDrained();
  }

  #takeSlot(): Conn | null {
    while (this.#tokenHead < this.#tokens.length) {
      const c = this.#tokens[this.#tokenHead++]!;
      if (this.#tokenHead > 1024 && this.#tokenHead * 2 > this.#tokens.length) {
        this.#tokens = this.#tokens.slice(this.#tokenHead);
        this.#tokenHead = 0;
      }
      if (c.usable) return c;
    }
    return null;
  }

  get #queued(): number {
    return this.#queueAt.length - this.#queueHead;
  }

  #send(c: Conn, intended: number, template: number, late: boolean): void {
    const sentAt = performance.now();
    this.#counts.sent++;
    if (late) this.#counts.sentLate++;
    c.outstanding.push({ intended, sentAt, template });
    c.socket.write(this.#bytes[template]!);
  }

  /** One arrival at its intended time: sent now if the queue is empty and a slot is free, else queued or dropped. */
  #arrive(intended: number): void {
    this.#counts.arrivals++;
    const template = this.#nextTemplate;
    this.#nextTemplate = (this.#nextTemplate + 1) % this.#bytes.length;
    // FIFO: while arrivals wait, no slot is free (a freed slot goes to the queue's head at once).
    const c = this.#queued === 0 ? this.#takeSlot() : null;
    if (c) return this.#send(c, intended, template, false);
    if (this.#queued >= this.#share.queueLimit) {
      this.#counts.dropped++;
      return;
    }
    this.#queueAt.push(intended);
    this.#queueTemplate.push(template);
    this.#counts.peakQueued = Math.max(this.#counts.peakQueued, this.#queued);
  }

  /** A slot of `c` is free: the queue's head takes it (sent late), or it goes back to the pool. */
  #freeSlot(c: Conn): void {
    if (!c.usable) return;
    if (this.#share.probe) {
      // The probe is a closed loop: a reply before the end is followed at once by the next request.
      if (this.#phase === 'pacing') {
        this.#counts.arrivals++;
        const template = this.#nextTemplate;
        this.#nextTemplate = (this.#nextTemplate + 1) % this.#bytes.length;
        this.#send(c, performance.now(), template, false);
      }
      return;
    }
    if (this.#queued > 0 && (this.#phase === 'pacing' || this.#phase === 'draining')) {
      const intended = this.#queueAt[this.#queueHead]!;
      const template = this.#queueTemplate[this.#queueHead]!;
      this.#queueHead++;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queueAt.length) {
        this.#queueAt = this.#queueAt.slice(this.#queueHead);
        this.#queueTemplate = this.#queueTemplate.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      return this.#send(c, intended, template, true);
    }
    this.#tokens.push(c);
  }

  #onData(c: Conn, i: number, chunk: Buffer): void {
    if (c.finished) return;
    try {
      c.framer.push(chunk);
      let reply;
      while (!c.finished && (reply = c.framer.next(null)) !== null) {
        const at = performance.now();
        c.report.firstReplyAt ??= abs(at);
        const p = c.outstanding.shift();
        if (!p) {
          // No workload request outstanding: this is the reply to EXIT, or a reply nobody asked for.
          if (!c.exitSent) {
            this.#fail(c, 'other', `connection ${i}: a reply without a request`);
            return;
          }
          if (reply.ok && reply.value === 'Goodbye!') {
            c.report.doneAt = abs(at);
            c.finished = true;
            c.report.endAt = abs(at);
            c.socket.end();
            const cut = setTimeout(() => c.socket.destroy(), CLOSE_GRACE_MS);
            void c.closed.then(() => clearTimeout(cut));
          } else if (reply.ok) {
            this.#fail(c, 'other', `connection ${i}: EXIT → expected "Goodbye!", got ${JSON.stringify(reply.value.slice(0, 80))}`);
          } else {
            this.#protocol[reply.code] = (this.#protocol[reply.code] ?? 0) + 1;
            this.#fail(c, 'protocol', `connection ${i}: EXIT → ERR ${reply.code} ${reply.message}`);
          }
          return;
        }
        recordUs(this.#response, (at - p.intended) * 1000);
        recordUs(this.#service, (at - p.sentAt) * 1000);
        this.#inSystemMs += at - p.intended;
        this.#lastReplyAt = at;
        const request = this.#share.requests[p.template]!;
        if (!reply.ok) {
          this.#counts.errorReplies++;
          this.#protocol[reply.code] = (this.#protocol[reply.code] ?? 0) + 1;
          this.#note(`${request} → ERR ${reply.code} ${reply.message}`);
          // Stream-level errors close the connection (docs/protocol.md).
          if (reply.fatal) {
            this.#fail(c, 'protocol', `connection ${i}: closed by ERR ${reply.code}`);
            return;
          }
        } else {
          const e = this.#expect[p.template] ?? null;
          if (e !== null && !matches(e, reply.value)) {
            this.#counts.wrongValues++;
            this.#note(`${request} → expected ${JSON.stringify(e.value)}, got ${JSON.stringify(reply.value.length > 80 ? reply.value.slice(0, 80) + '…' : reply.value)}`);
          } else {
            this.#counts.completed++;
          }
        }
        this.#freeSlot(c);
      }
      this.#checkDrained();
    } catch (err) {
      if (err instanceof ReplyTooLargeError) {
        this.#protocol[err.code] = (this.#protocol[err.code] ?? 0) + 1;
        return this.#fail(c, 'protocol', `connection ${i}: ${err.code}: ${err.message}`);
      }
      this.#fail(c, 'other', `connection ${i}: undecodable reply: ${(err as Error).message}`);
    }
  }

  /** In the drain, ends it as soon as nothing is outstanding or queued. */
  #checkDrained(): void {
    if (this.#phase !== 'draining' || this.#queued > 0) return;
    if (this.#conns.some((c) => c.outstanding.length > 0)) return;
    this.#onDrained?.();
  }

  /**
   * Runs the share: paces the arrivals for durationMs, drains (bounded by drainMs), counts what is left
   * as timed out (sent) or unsent (queued), sends EXIT on every connection with nothing outstanding,
   * waits for each Goodbye and close (bounded), and reports. Never rejects.
   */
  async run(signal: AbortSignal): Promise<OpenShareReport> {
    const s = this.#share;
    this.#t0 = performance.now();
    const t0 = this.#t0;
    const end = t0 + s.durationMs;
    let stopped = false;
    const drained = new Promise<void>((resolve) => {
      this.#onDrained = () => {
        if (stopped) return;
        stopped = true;
        clearTimeout(this.#timer);
        clearTimeout(this.#drainTimer);
        resolve();
      };
    });
    const onAbort = () => {
      this.#note('aborted: the sweep was interrupted');
      this.#phase = 'draining';
      this.#onDrained?.();
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const startDrain = () => {
      if (this.#phase !== 'pacing') return;
      this.#phase = 'draining';
      this.#drainTimer = setTimeout(() => this.#onDrained?.(), s.drainMs);
      this.#checkDrained();
    };

    if (!stopped) {
      this.#phase = 'pacing';
      if (s.probe) {
        const now = performance.now();
        for (let c = this.#takeSlot(); c; c = this.#takeSlot()) {
          this.#counts.arrivals++;
          this.#send(c, now, this.#nextTemplate, false);
          this.#nextTemplate = (this.#nextTemplate + 1) % this.#bytes.length;
        }
        this.#timer = setTimeout(startDrain, s.durationMs);
      } else {
        const schedule = arrivalTimes(s.arrival, s.rate, s.durationMs, s.phaseMs, s.seed);
        const first = schedule.next();
        let nextDue = first.done ? Infinity : t0 + first.value;
        const tick = () => {
          const now = performance.now();
          if (nextDue <= now) recordUs(this.#lag, (now - nextDue) * 1000);
          while (nextDue <= now) {
            this.#arrive(nextDue);
            const n = schedule.next();
            nextDue = n.done ? Infinity : t0 + n.value;
          }
          if (nextDue === Infinity) this.#timer = setTimeout(startDrain, Math.max(0, end - performance.now()));
          else this.#timer = setTimeout(tick, Math.max(0, nextDue - performance.now()));
        };
        tick();
      }
    }
    await drained;
    signal.removeEventListener('abort', onAbort);

    // What the drain left: sent and unanswered (timeouts), still queued (unsent). Both stayed in the
    // system until now.
    const drainEnd = performance.now();
    this.#drainEndAt = abs(drainEnd);
    this.#phase = 'closing';
    for (let q = this.#queueHead; q < this.#queueAt.length; q++) this.#inSystemMs += drainEnd - this.#queueAt[q]!;
    this.#counts.unsent = this.#queued;
    this.#queueHead = this.#queueAt.length;
    for (const c of this.#conns) {
      if (c.finished) continue;
      for (const p of c.outstanding) this.#inSystemMs += drainEnd - p.intended;
      this.#counts.timeouts += c.outstanding.length;
    }

    // EXIT where nothing is outstanding; a connection still waiting for replies is cut (its late replies
    // would otherwise be read as the answer to EXIT, and the server would keep working for nobody).
    await Promise.all(
      this.#conns.map(async (c, i) => {
        if (c.finished) return c.socket.destroyed ? undefined : c.closed;
        if (c.outstanding.length > 0 || signal.aborted || !c.connected) {
          c.finished = true;
          // Its requests already count as timeouts; an interrupted run's connections fail as 'other', as closed clients do.
          c.report.failure = signal.aborted ? 'other' : null;
          c.report.endAt = abs(performance.now());
          if (!signal.aborted) this.#note(`connection ${i}: ${c.outstanding.length} request(s) unanswered after the ${s.drainMs} ms drain; connection cut`);
          c.outstanding.length = 0;
          c.socket.destroy();
          return;
        }
        c.exitSent = true;
        c.socket.write(this.#exitBytes);
        const cut = setTimeout(() => {
          if (c.report.doneAt === null) this.#fail(c, 'timeout', `connection ${i}: no Goodbye! within ${CLOSE_GRACE_MS} ms of EXIT`);
          c.socket.destroy();
        }, CLOSE_GRACE_MS * 2);
        await c.closed;
        clearTimeout(cut);
      }),
    );
    this.#phase = 'done';

    const counts = this.#counts;
    return {
      startAt: abs(t0),
      lastReplyAt: this.#lastReplyAt === null ? null : abs(this.#lastReplyAt),
      drainEndAt: this.#drainEndAt,
      ...counts,
      protocol: this.#protocol,
      inSystemMs: this.#inSystemMs,
      response: encodeHistogram(this.#response),
      service: encodeHistogram(this.#service),
      pacingLag: encodeHistogram(this.#lag),
      connections: this.#conns.map((c) => ({ ...c.report, endAt: c.report.endAt || abs(performance.now()) })),
      messages: this.#messages,
    };
  }

  /** Closes every connection at once (a prepared run that never got its `go`). */
  destroy(): void {
    for (const c of this.#conns) c.socket.destroy();
  }
}
