import { ByteQueue } from './byte-queue.ts';
import { BINARY_MAGIC, CR, FrameKind, HEADER_BYTES, LF, PROTOCOL_VERSION } from './constants.ts';
import {
  BadReplyError, FrameTooLargeError, HttpRequestError, LineTooLongError, MalformedFrameError, SocketlabError, errorFromCode,
} from './errors.ts';

export type Framing = 'text' | 'binary';

/** One decoded request: its framing and the request bytes (`COMMAND[ ARGS]`, no newline, no header). */
export interface DecodedRequest {
  readonly type: 'request';
  readonly framing: Framing;
  readonly payload: Buffer;
}

/** A stream error. After it the decoder yields nothing more: the stream can no longer be trusted. */
export interface DecodedStreamError {
  readonly type: 'error';
  readonly framing: Framing;
  readonly error: SocketlabError;
}

export type DecodedItem = DecodedRequest | DecodedStreamError;

export interface DecoderLimits {
  maxLineBytes: number;
  maxFrameBytes: number;
}

// An HTTP request line (`GET / HTTP/1.1`) or header (`Host: x`). The catalogue has no command named
// like an HTTP method, so a method followed by a space is enough to tell.
const HTTP_LINE = /^(?:(?:GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) |PRI \* HTTP\/2)/;
const HTTP_HOST = /^host:/i;

/**
 * Streaming request decoder: a pull-based state machine over a ByteQueue.
 *
 * `push()` appends received bytes; `next()` returns the next complete request, a stream error, or null
 * when more bytes are needed. The caller pulls only as many requests as it is willing to have in flight
 * and pauses the socket otherwise, so buffered memory stays bounded by the limits plus one read.
 *
 * Per request, the first byte picks the framing: 0xFF starts a binary frame, anything else a text line.
 */
export class RequestDecoder {
  readonly #queue = new ByteQueue();
  readonly #limits: DecoderLimits;
  #scanned = 0; // bytes of the current text line already searched for LF (avoids rescanning)
  #failed = false;

  constructor(limits: DecoderLimits) {
    this.#limits = limits;
  }

  /** Bytes received and not yet decoded. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** True once a stream error was returned; the decoder then ignores all input. */
  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Buffer): void {
    if (!this.#failed) this.#queue.push(chunk);
  }

  next(): DecodedItem | null {
    while (!this.#failed && this.#queue.length > 0) {
      if (this.#queue.byteAt(0) === BINARY_MAGIC) return this.#nextFrame();
      const item = this.#nextLine();
      if (item !== undefined) return item;
      // undefined: an empty line was skipped; keep going.
    }
    return null;
  }

  #fail(framing: Framing, error: SocketlabError): DecodedStreamError {
    this.#failed = true;
    this.#queue.clear();
    return { type: 'error', framing, error };
  }

  #nextFrame(): DecodedItem | null {
    const q = this.#queue;
    if (q.length < HEADER_BYTES) {
      // Reject a bad version as soon as we see it rather than waiting for a full header.
      if (q.length >= 2 && q.byteAt(1) !== PROTOCOL_VERSION) return this.#badVersion(q.byteAt(1));
      return null;
    }
    const version = q.byteAt(1);
    if (version !== PROTOCOL_VERSION) return this.#badVersion(version);
    const kind = q.byteAt(2);
    if (kind !== FrameKind.REQUEST) {
      return this.#fail('binary', new MalformedFrameError(`expected a request frame (kind 0x01), got kind 0x${hex(kind)}`));
    }
    const flags = q.byteAt(3);
    if (flags !== 0) return this.#fail('binary', new MalformedFrameError(`frame flags must be 0 in protocol version 1, got 0x${hex(flags)}`));
    const length = readU32(q);
    // Checked from the header, before any of the body is buffered.
    if (length > this.#limits.maxFrameBytes) {
      return this.#fail('binary', new FrameTooLargeError(`frame payload of ${length} bytes exceeds maxFrameBytes (${this.#limits.maxFrameBytes})`));
    }
    if (q.length < HEADER_BYTES + length) return null;
    q.skip(HEADER_BYTES);
    return { type: 'request', framing: 'binary', payload: q.consume(length) };
  }

  #badVersion(version: number): DecodedStreamError {
    return this.#fail('binary', new MalformedFrameError(`unsupported protocol version ${version} (this server speaks version ${PROTOCOL_VERSION})`));
  }

  #nextLine(): DecodedItem | null | undefined {
    const q = this.#queue;
    const max = this.#limits.maxLineBytes;
    const lf = q.indexOf(LF, this.#scanned);
    if (lf === -1) {
      this.#scanned = q.length;
      // +1: a CR may still precede the LF that has not arrived yet.
      if (q.length > max + 1) return this.#fail('text', new LineTooLongError(`request line exceeds maxLineBytes (${max})`));
      return null;
    }
    this.#scanned = 0;
    let end = lf;
    if (end > 0 && q.byteAt(end - 1) === CR) end--;
    if (end > max) return this.#fail('text', new LineTooLongError(`request line exceeds maxLineBytes (${max})`));
    const line = q.consume(end);
    q.skip(lf + 1 - end);
    if (line.length === 0) return undefined; // blank lines are ignored, as Redis does
    if (looksLikeHttp(line)) return this.#fail('text', new HttpRequestError());
    return { type: 'request', framing: 'text', payload: line };
  }
}

function looksLikeHttp(line: Buffer): boolean {
  const head = line.toString('latin1', 0, Math.min(line.length, 24));
  return HTTP_LINE.test(head) || HTTP_HOST.test(head);
}

function readU32(q: ByteQueue): number {
  return ((q.byteAt(4) << 24) >>> 0) + (q.byteAt(5) << 16) + (q.byteAt(6) << 8) + q.byteAt(7);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

// ---------------------------------------------------------------------------------------------------

/** One decoded reply: its value, or the coded error the server sent. */
export type DecodedReply =
  | { readonly ok: true; readonly framing: Framing; readonly value: Buffer }
  | { readonly ok: false; readonly framing: Framing; readonly error: SocketlabError };

/**
 * Streaming reply decoder for clients: `OK <result>` / `ERR <CODE> <message>` lines, or binary frames of
 * kind REPLY_OK / REPLY_ERR. Throws BadReplyError on bytes that are not a reply.
 */
export class ReplyDecoder {
  readonly #queue = new ByteQueue();
  readonly #maxBytes: number;
  #scanned = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes received and not yet decoded (0 between whole replies). */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Buffer): void {
    this.#queue.push(chunk);
  }

  next(): DecodedReply | null {
    const q = this.#queue;
    if (q.length === 0) return null;
    if (q.byteAt(0) === BINARY_MAGIC) {
      if (q.length < HEADER_BYTES) return null;
      const version = q.byteAt(1);
      const kind = q.byteAt(2);
      if (version !== PROTOCOL_VERSION || (kind !== FrameKind.REPLY_OK && kind !== FrameKind.REPLY_ERR)) {
        throw new BadReplyError(`bad reply frame header (version ${version}, kind ${kind})`);
      }
      const length = readU32(q);
      if (length > this.#maxBytes) throw new BadReplyError(`reply frame of ${length} bytes is too large`);
      if (q.length < HEADER_BYTES + length) return null;
      q.skip(HEADER_BYTES);
      const body = q.consume(length);
      if (kind === FrameKind.REPLY_OK) return { ok: true, framing: 'binary', value: body };
      return { ok: false, framing: 'binary', error: parseErrorText(body.toString('utf8')) };
    }
    const lf = q.indexOf(LF, this.#scanned);
    if (lf === -1) {
      this.#scanned = q.length;
      if (q.length > this.#maxBytes) throw new BadReplyError('reply line too long');
      return null;
    }
    this.#scanned = 0;
    let end = lf;
    if (end > 0 && q.byteAt(end - 1) === CR) end--;
    const line = q.consume(end).toString('utf8');
    q.skip(lf + 1 - end);
    if (line === 'OK') return { ok: true, framing: 'text', value: Buffer.alloc(0) };
    if (line.startsWith('OK ')) return { ok: true, framing: 'text', value: Buffer.from(line.slice(3), 'utf8') };
    if (line.startsWith('ERR ')) return { ok: false, framing: 'text', error: parseErrorText(line.slice(4)) };
    throw new BadReplyError(`reply line does not start with OK or ERR: ${JSON.stringify(line.slice(0, 80))}`);
  }
}

function parseErrorText(text: string): SocketlabError {
  const space = text.indexOf(' ');
  const code = space === -1 ? text : text.slice(0, space);
  const message = space === -1 ? '' : text.slice(space + 1);
  return errorFromCode(code, message);
}
