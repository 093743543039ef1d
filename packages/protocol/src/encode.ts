import { BINARY_MAGIC, FrameKind, HEADER_BYTES, PROTOCOL_VERSION } from './constants.ts';
import type { Framing } from './decoder.ts';
import type { SocketlabError } from './errors.ts';

function header(kind: FrameKind, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h[0] = BINARY_MAGIC;
  h[1] = PROTOCOL_VERSION;
  h[2] = kind;
  h[3] = 0;
  h.writeUInt32BE(length, 4);
  return h;
}

function frame(kind: FrameKind, payload: Buffer): Buffer {
  return Buffer.concat([header(kind, payload.length), payload], HEADER_BYTES + payload.length);
}

function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Encodes one request. Text: `COMMAND ARGS\n` (the request must not contain a newline: use binary
 * framing for such payloads). Binary: an 8-byte header and the request bytes.
 */
export function encodeRequest(request: string | Uint8Array, framing: Framing = 'text'): Buffer {
  const body = toBuffer(request);
  if (framing === 'binary') return frame(FrameKind.REQUEST, body);
  if (body.includes(0x0a)) throw new TypeError('a text request cannot contain a newline; use binary framing');
  return Buffer.concat([body, NEWLINE], body.length + 1);
}

const NEWLINE = Buffer.from('\n');
const OK_SPACE = Buffer.from('OK ');
const OK_LINE = Buffer.from('OK\n');

/** Encodes a success reply in the framing of the request it answers. */
export function encodeOk(framing: Framing, value: string | Uint8Array): Buffer {
  if (framing === 'binary') return frame(FrameKind.REPLY_OK, toBuffer(value));
  if (typeof value === 'string') return Buffer.from(value.length ? `OK ${value}\n` : 'OK\n', 'utf8');
  if (value.length === 0) return OK_LINE;
  return Buffer.concat([OK_SPACE, toBuffer(value), NEWLINE]);
}

/** Encodes an error reply: `ERR <CODE> <message>` (newlines in the message are flattened). */
export function encodeError(framing: Framing, error: Pick<SocketlabError, 'code' | 'message'>): Buffer {
  const text = `${error.code} ${error.message.replace(/[\r\n]+/g, ' ')}`;
  if (framing === 'binary') return frame(FrameKind.REPLY_ERR, Buffer.from(text, 'utf8'));
  return Buffer.from(`ERR ${text}\n`, 'utf8');
}
