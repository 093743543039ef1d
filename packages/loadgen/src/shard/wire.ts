import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type net from 'node:net';

/**
 * The rendezvous wire (see rendezvous.ts for the exchange): JSON lines, each at most MAX_LINE_BYTES,
 * each checked against the schema of its type before anything reads it, and the shared-secret proofs.
 *
 * Authentication is a challenge: on connection shard 0 sends a fresh nonce; a shard's first line, its
 * hello, carries HMAC-SHA256(secret, "socketlab-rendezvous/1 hello <nonce>") and a nonce of its own,
 * which shard 0 answers with the same HMAC over "… accepted <shard's nonce>". The secret never crosses
 * the wire, a proof is good for one connection only, and each side knows the other holds the secret.
 * Without a secret (one machine, loopback only: see session.ts) the key is empty: the exchange is the
 * same and proves nothing but the protocol.
 */

/** The environment variable that holds the sweep's shared secret (the launchers set it). */
export const SECRET_ENV = 'SOCKETLAB_RENDEZVOUS_SECRET';

/** Longest rendezvous line, bytes (a hello with its resolved config is a few KiB). */
export const MAX_LINE_BYTES = 256 * 1024;

export type Message = { t: string; [key: string]: unknown };

/**
 * Splits a socket's bytes into JSON lines and hands each on; a line that is not JSON, or one past
 * MAX_LINE_BYTES (newline or not), is `onBad` and ends the reading: the caller drops the peer.
 */
export function readLines(socket: net.Socket, onMessage: (m: unknown) => void, onBad: (reason: string) => void): void {
  let parts: Buffer[] = [];
  let pending = 0;
  let stopped = false;
  const bad = (reason: string) => {
    stopped = true;
    parts = [];
    socket.off('data', onData);
    onBad(reason);
  };
  function onData(chunk: Buffer): void {
    let from = 0;
    let nl: number;
    while (!stopped && (nl = chunk.indexOf(0x0a, from)) !== -1) {
      if (pending + nl - from > MAX_LINE_BYTES) return bad(`a line longer than ${MAX_LINE_BYTES} bytes`);
      parts.push(chunk.subarray(from, nl));
      const line = Buffer.concat(parts).toString('utf8');
      parts = [];
      pending = 0;
      from = nl + 1;
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        return bad('a line that is not JSON');
      }
      onMessage(m);
    }
    if (stopped || from === chunk.length) return;
    pending += chunk.length - from;
    if (pending > MAX_LINE_BYTES) return bad(`more than ${MAX_LINE_BYTES} bytes without a newline`);
    parts.push(chunk.subarray(from));
  }
  socket.on('data', onData);
}

export function send(socket: net.Socket, m: Message): void {
  if (!socket.destroyed && socket.writable) socket.write(JSON.stringify(m) + '\n');
}

export const newNonce = (): string => randomBytes(16).toString('hex');

/** The proof of holding `secret` for one step of the challenge. */
export function proofOf(secret: string, step: 'hello' | 'accepted', nonce: string): string {
  return createHmac('sha256', secret).update(`socketlab-rendezvous/1 ${step} ${nonce}`).digest('hex');
}

/** True if `given` is the proof for `nonce` (compared in constant time). */
export function proofHolds(secret: string, step: 'hello' | 'accepted', nonce: string, given: unknown): boolean {
  if (typeof given !== 'string' || !HEX64.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(proofOf(secret, step, nonce), 'hex'));
}

// The schema: every field of every message type, checked before use. Unknown fields are ignored (a
// newer peer may send more); an unknown type is malformed.
type Check = { test: (v: unknown) => boolean; rule: string };
const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9._:%[\]-]{1,255}$/;
const PRINTABLE = /^[\x21-\x7e]{1,256}$/;
const integer = (min: number, max: number): Check => ({ test: (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max, rule: `an integer from ${min} to ${max}` });
const finite: Check = { test: (v) => typeof v === 'number' && Number.isFinite(v), rule: 'a finite number' };
const matching = (re: RegExp, rule: string): Check => ({ test: (v) => typeof v === 'string' && re.test(v), rule });
const text = (max: number): Check => ({ test: (v) => typeof v === 'string' && v.length <= max, rule: `a string of at most ${max} characters` });
const optional = (c: Check): Check => ({ test: (v) => v === undefined || c.test(v), rule: `absent or ${c.rule}` });
const nullable = (c: Check): Check => ({ test: (v) => v === null || c.test(v), rule: `null or ${c.rule}` });
const list = (c: Check, max: number): Check => ({ test: (v) => Array.isArray(v) && v.length <= max && v.every((x) => c.test(x)), rule: `a list of at most ${max} of ${c.rule}` });
const object: Check = { test: (v) => typeof v === 'object' && v !== null && !Array.isArray(v), rule: 'an object' };

/** Most numbers one shard may give at a barrier; most shards (the launchers' bound). */
export const MAX_BARRIER_VALUES = 16;
export const MAX_SHARDS = 1024;
/** Longest barrier label, characters. */
export const MAX_LABEL_CHARS = 512;
const values = list(finite, MAX_BARRIER_VALUES);

const SCHEMA: Readonly<Record<string, Readonly<Record<string, Check>>>> = {
  // shard → shard 0
  hello: {
    index: integer(0, MAX_SHARDS - 1), count: integer(1, MAX_SHARDS), host: matching(NAME, 'a host name'), node: nullable(matching(NAME, 'a node name')),
    config: object, pid: optional(integer(1, 2 ** 31)), machine: optional(matching(PRINTABLE, 'a machine key')),
    nonce: matching(HEX32, '32 hex digits'), proof: matching(HEX64, '64 hex digits'),
  },
  ready: { seq: integer(0, 1e9), label: text(MAX_LABEL_CHARS), values: optional(values) },
  pong: { id: integer(1, Number.MAX_SAFE_INTEGER), t0: finite, t1: finite },
  bye: {},
  // shard 0 → shard
  challenge: { nonce: matching(HEX32, '32 hex digits') },
  accepted: { proof: matching(HEX64, '64 hex digits') },
  welcome: { sweepId: matching(/^[0-9a-f]{1,64}$/, 'hex digits'), cohosted: optional(list(integer(1, 2 ** 31), MAX_SHARDS)) },
  ping: { id: integer(1, Number.MAX_SAFE_INTEGER), t0: finite },
  start: { seq: integer(0, 1e9), agreedAt: finite, localAt: finite, offsetMs: finite, rttMs: finite, values: optional(list(values, MAX_SHARDS)) },
  abort: { code: matching(/^SOCKETLAB_ERR_[A-Z_]{1,48}$/, 'an error code'), message: text(4096) },
};

/** `m` as a message of one of the `types`, or what is wrong with it (naming the field, not echoing values). */
export function validate(m: unknown, types: readonly string[]): Message | string {
  if (!object.test(m)) return 'a line that is not a JSON object';
  const t = (m as Message).t;
  if (typeof t !== 'string' || !types.includes(t)) return `a message of an unexpected type (expected ${types.join(', ')})`;
  for (const [field, check] of Object.entries(SCHEMA[t]!)) {
    if (!check.test((m as Message)[field])) return `${t}.${field} is not ${check.rule}`;
  }
  return m as Message;
}
