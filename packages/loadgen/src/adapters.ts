import { BadReplyError, InvalidOptionError, ReplyDecoder, encodeRequest } from '@socketlab/protocol';
import { escapeForLog } from '@socketlab/protocol/server';
import { ReplyTooLargeError } from './errors.ts';

/**
 * Protocol adapters: how a client turns a task into bytes and bytes back into replies, so that loadgen
 * can drive servers that do not speak socketlab's protocol (a student's homework, the lesson's Python
 * servers). Every adapter checks every reply against an expectation: a mismatch is an error, never a
 * success.
 *
 * - `socketlab`: the project's protocol (docs/protocol.md), `OK <value>` / `ERR <code> <message>` lines.
 * - `line`: one request line out, one reply line back (`\n`, an optional `\r` before it dropped).
 * - `raw`: the lesson's way: one write per task, no framing; the reply is what arrives until a
 *   terminator, a byte count, or the peer pausing for `gapMs` (see RawFraming). A reply that already
 *   satisfies a complete expectation (exact, or a regular expression) ends at once, so the gap is only
 *   waited for when nothing else can say the reply is whole.
 *
 * Every adapter holds at most MAX_REPLY_BYTES of one reply: past it, with the reply's end not in sight,
 * `next()` throws ReplyTooLargeError (SOCKETLAB_ERR_REPLY_TOO_LARGE) and the client closes the
 * connection, so an endless or oversized reply costs a client a bounded amount of memory.
 */
export const PROTOCOLS = ['socketlab', 'line', 'raw'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

/** How a reply is checked: equal to, starting with, or matching (a whole-reply regular expression). */
export interface Expectation {
  readonly kind: 'exact' | 'prefix' | 'regex';
  readonly value: string;
}

/** What ends a `raw` reply. */
export interface RawFraming {
  /** Ends a reply (and is not part of it); null: none. */
  readonly terminator: string | null;
  /** A reply is exactly this many bytes; null: not fixed. */
  readonly bytes: number | null;
  /** With neither, a reply ends when no byte arrived for this long, ms (the lesson's one recv(1024)). */
  readonly gapMs: number;
}

/** Defaults of the adapters' options, with units. */
export const DEFAULT_ADAPTER_OPTIONS = Object.freeze({
  protocol: 'socketlab' as ProtocolName,
  // 20 ms: on loopback a reply written with one send arrives in one chunk well within a millisecond;
  // 20 ms is long enough that a server writing a reply in two sends is not cut in two, and short
  // enough to cost little when it must be waited for (exact and regex expectations end earlier).
  rawGapMs: 20, // ms
  exitRequest: 'exit',
  exitReply: 'Goodbye!',
});

/** A decoded reply: a value, or a server error (socketlab's ERR lines only). */
export type AdapterReply = { ok: true; value: string } | { ok: false; code: string; message: string; fatal: boolean };

/** Splits a byte stream into replies. `pending()` is true while a partial reply waits for more bytes. */
export interface ReplyFramer {
  push(chunk: Buffer): void;
  /** The next complete reply, or null. `expected` lets a gap-framed reply end as soon as it is whole. */
  next(expected: Expectation | null): AdapterReply | null;
  /** True while bytes of an unfinished reply are buffered (those a timer may end: raw framing). */
  pending(): boolean;
  /** True when no byte at all is buffered: the next chunk starts a reply (the client's fast path). */
  idle(): boolean;
  /** Ends the buffered bytes as one reply (the quiet gap passed); null if nothing is buffered. */
  flush(): AdapterReply | null;
  /** Gap after which a pending reply is flushed, ms; null when the framing needs no timer. */
  readonly gapMs: number | null;
}

/** True if `value` satisfies `e`. */
export function matches(e: Expectation, value: string): boolean {
  switch (e.kind) {
    case 'exact':
      return value === e.value;
    case 'prefix':
      return value.startsWith(e.value);
    case 'regex':
      return compiled(e.value).test(value);
  }
}

const REGEX_CACHE = new Map<string, RegExp>();
/** A whole-reply regular expression (anchored), compiled once per source. */
function compiled(source: string): RegExp {
  let re = REGEX_CACHE.get(source);
  if (!re) {
    re = new RegExp(`^(?:${source})$`, 's');
    REGEX_CACHE.set(source, re);
  }
  return re;
}

/** `exact:…`, `prefix:…`, `regex:…` or `/…/` (a regex); anything else is exact. The message names `option`. */
export function parseExpectation(raw: string, option: string): Expectation {
  const m = /^(exact|prefix|regex):(.*)$/s.exec(raw);
  const e: Expectation = m ? { kind: m[1] as Expectation['kind'], value: m[2]! } : raw.length >= 2 && raw.startsWith('/') && raw.endsWith('/') ? { kind: 'regex', value: raw.slice(1, -1) } : { kind: 'exact', value: raw };
  if (e.kind === 'regex') {
    try {
      compiled(e.value);
    } catch (err) {
      throw new InvalidOptionError(`${option}: ${JSON.stringify(e.value)} is not a valid regular expression (${(err as Error).message})`);
    }
  }
  return e;
}

/** Shows an expectation the way a user writes it. */
export function formatExpectation(e: Expectation): string {
  return e.kind === 'exact' ? JSON.stringify(e.value) : e.kind === 'regex' ? `/${e.value}/` : `${JSON.stringify(e.value)}…`;
}

/** The bytes of one request. */
export function encodeFor(protocol: ProtocolName, request: string): Buffer {
  switch (protocol) {
    case 'socketlab':
      return encodeRequest(request);
    case 'line':
      return Buffer.from(`${request}\n`, 'utf8');
    case 'raw':
      return Buffer.from(request, 'utf8');
  }
}

/** Longest reply any adapter holds before it gives up on finding its end, bytes (one bound for all three). */
export const MAX_REPLY_BYTES = 1024 * 1024;

/** Longest text of a server's (an ERR message, a wrong reply) kept in a client's messages, characters after escaping. */
export const MAX_ERROR_TEXT_CHARS = 300;

/** Text from a server, made safe to store and print: escaped (no terminal controls, one line) and capped. */
export const errorText = (text: string): string => escapeForLog(text, MAX_ERROR_TEXT_CHARS);

const tooLarge = () => new ReplyTooLargeError(`a reply longer than ${MAX_REPLY_BYTES} bytes (MAX_REPLY_BYTES) without its end; connection closed`);

class SocketlabFramer implements ReplyFramer {
  readonly gapMs = null;
  #decoder = new ReplyDecoder(MAX_REPLY_BYTES);
  push(chunk: Buffer): void {
    this.#decoder.push(chunk);
  }
  next(): AdapterReply | null {
    let r;
    try {
      r = this.#decoder.next();
    } catch (err) {
      // The decoder's own bound (a line without its newline, or a frame announcing more): the same limit.
      if (err instanceof BadReplyError && /too (long|large)/.test(err.message)) throw tooLarge();
      throw err;
    }
    if (r === null) return null;
    return r.ok ? { ok: true, value: r.value.toString('utf8') } : { ok: false, code: r.error.code, message: r.error.message, fatal: r.error.fatal };
  }
  pending(): boolean {
    return false; // the decoder holds partial lines itself; no timer ends them
  }
  idle(): boolean {
    return this.#decoder.buffered === 0;
  }
  flush(): null {
    return null;
  }
}

class ByteFramer implements ReplyFramer {
  readonly gapMs: number | null;
  #buffered: Buffer = Buffer.alloc(0);
  readonly #terminator: Buffer | null;
  readonly #bytes: number | null;

  constructor(terminator: string | null, bytes: number | null, gapMs: number | null) {
    this.#terminator = terminator === null ? null : Buffer.from(terminator, 'utf8');
    this.#bytes = bytes;
    this.gapMs = terminator === null && bytes === null ? gapMs : null;
  }

  push(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
  }

  next(expected: Expectation | null): AdapterReply | null {
    const reply = this.#next(expected);
    // Nothing whole in what is held (the caller drains after every push): the bound is of one reply.
    if (reply === null && this.#buffered.length > MAX_REPLY_BYTES) throw tooLarge();
    return reply;
  }

  #next(expected: Expectation | null): AdapterReply | null {
    if (this.#buffered.length === 0) return null;
    if (this.#terminator) {
      const at = this.#buffered.indexOf(this.#terminator);
      if (at === -1) return null;
      return this.#take(at, this.#terminator.length);
    }
    if (this.#bytes !== null) return this.#buffered.length >= this.#bytes ? this.#take(this.#bytes, 0) : null;
    // Gap framing: whole as soon as a complete expectation holds; otherwise the gap timer decides.
    if (expected && expected.kind !== 'prefix' && matches(expected, this.#buffered.toString('utf8'))) return this.#take(this.#buffered.length, 0);
    return null;
  }

  pending(): boolean {
    return this.#buffered.length > 0;
  }

  idle(): boolean {
    return this.#buffered.length === 0;
  }

  flush(): AdapterReply | null {
    return this.#buffered.length === 0 ? null : this.#take(this.#buffered.length, 0);
  }

  #take(length: number, skip: number): AdapterReply {
    let value = this.#buffered.subarray(0, length).toString('utf8');
    this.#buffered = this.#buffered.subarray(length + skip);
    if (this.#terminator?.length === 1 && this.#terminator[0] === 0x0a && value.endsWith('\r')) value = value.slice(0, -1);
    return { ok: true, value };
  }
}

/** A new framer for one connection. */
export function createFramer(protocol: ProtocolName, raw: RawFraming = { terminator: null, bytes: null, gapMs: DEFAULT_ADAPTER_OPTIONS.rawGapMs }): ReplyFramer {
  switch (protocol) {
    case 'socketlab':
      return new SocketlabFramer();
    case 'line':
      return new ByteFramer('\n', null, null);
    case 'raw':
      return new ByteFramer(raw.terminator, raw.bytes, raw.gapMs);
  }
}

/**
 * The lesson-style catalogue that `line` and `raw` servers are assumed to speak unless told otherwise
 * (`--expect`): lower-case task words, free-text replies, as examples/lesson-python answers them.
 */
const LESSON_REPLIES: Readonly<Record<string, (arg: string) => string>> = Object.freeze({
  sleep: (ms: string) => `Slept ${Number(ms)} ms`,
  fib: (n: string) => `fib(${Number(n)}) = ${fibValue(Number(n))}`,
});

function fibValue(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/** The tasks a `line` or `raw` server is asked for without an `--expect` for them. */
export const LESSON_TASKS = Object.freeze(Object.keys(LESSON_REPLIES));

/** Per-task-word expectations given by the user (`--expect sleep=prefix:Slept`), keyed by lower-case word. */
export type ExpectationMap = Readonly<Record<string, Expectation>>;

/**
 * A socketlab request (`SLEEP 30`) as a `line`/`raw` server is asked for it (`sleep 30`), and what its
 * reply must be: the user's expectation for the task word, else the lesson catalogue's exact reply.
 * Null when neither knows the task (the caller refuses the workload with a clear error).
 */
export function lessonRequest(request: string, expect: ExpectationMap = {}): { request: string; expected: Expectation } | null {
  const space = request.indexOf(' ');
  const word = (space === -1 ? request : request.slice(0, space)).toLowerCase();
  const arg = space === -1 ? '' : request.slice(space + 1);
  const text = arg ? `${word} ${arg}` : word;
  const given = expect[word];
  if (given) return { request: text, expected: given };
  const reply = LESSON_REPLIES[word];
  return reply ? { request: text, expected: { kind: 'exact', value: reply(arg) } } : null;
}
