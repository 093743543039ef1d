import { encodeRequest, type DecodedReply } from '@socketlab/protocol';
import { RawPeer, prng } from './robustness-peer.ts';

/**
 * A fuzz run over real sockets: each connection sends a random mix of valid requests, request errors,
 * stream errors and random bytes, in random chunks, and ends in a random way (half-close, close,
 * reset, a cut mid-write, or waiting for the server). Seeded: the same seed replays the same run.
 *
 * Checked per connection: everything the server sends decodes as replies; a connection the client
 * leaves open (or half-closes) is closed by the server within a bound; and when a connection sent
 * only well-formed requests and half-closed or waited, every request got its reply, in order.
 */

export interface FuzzOptions {
  port: number;
  seed: number;
  /** Stop starting connections after this long, in ms. */
  budgetMs: number;
  /** Stop starting connections after this many. */
  maxConnections: number;
  /** Connections open at once. */
  concurrency: number;
  /** The server's limits (stream errors are built just past them). */
  maxLineBytes: number;
  maxFrameBytes: number;
  /** The server's idle timeout: a connection left open is closed by then (plus its linger). */
  idleTimeoutMs: number;
  /** How long a connection that the server should close may stay open (queueing included), in ms. */
  closeBoundMs: number;
}

export interface FuzzResult {
  connections: number;
  bytesSent: number;
  replies: number;
  /** Endings used, e.g. `{ 'half-close': 12, reset: 3 }`. */
  endings: Record<string, number>;
  /** One line per failed connection (seed and index included, to replay). */
  failures: string[];
}

type PieceKind = 'valid' | 'request-error' | 'stream-error' | 'noise' | 'exit' | 'blank';
interface Piece {
  kind: PieceKind;
  bytes: Buffer;
  /** For valid requests: the reply value expected, when it is known. */
  expect?: Buffer;
}

type Ending = 'half-close' | 'wait' | 'close' | 'reset' | 'cut-mid-write';
const ENDINGS: Ending[] = ['half-close', 'half-close', 'wait', 'close', 'reset', 'cut-mid-write'];
/** Request errors: answered with one ERR, the connection goes on. */
const REQUEST_ERROR_CODES = new Set(['SOCKETLAB_ERR_UNKNOWN_COMMAND', 'SOCKETLAB_ERR_INVALID_ARGUMENT', 'SOCKETLAB_ERR_LIMIT_EXCEEDED', 'SOCKETLAB_ERR_INVALID_UTF8']);

class Gen {
  readonly #r: () => number;
  constructor(r: () => number) {
    this.#r = r;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.#r() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
  printable(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(0x20, 0x7e));
    return s;
  }
}

function validPiece(g: Gen): Piece {
  const binary = g.chance(0.4);
  const framing = binary ? 'binary' : 'text';
  const eol = (b: Buffer) => (!binary && g.chance(0.3) ? Buffer.concat([b.subarray(0, -1), Buffer.from('\r\n')]) : b);
  const choice = g.int(0, 6);
  if (choice === 0) return { kind: 'valid', bytes: eol(encodeRequest(g.pick(['PING', 'ping', 'Ping']), framing)), expect: Buffer.from('PONG') };
  if (choice === 1) {
    // Binary ECHO carries any bytes (newlines, 0xFF, NUL); text ECHO printable ones.
    const arg = binary ? g.bytes(g.int(0, 300)) : Buffer.from(g.printable(g.int(0, 120)));
    return { kind: 'valid', bytes: eol(encodeRequest(Buffer.concat([Buffer.from('ECHO '), arg]), framing)), expect: arg };
  }
  if (choice === 2) return { kind: 'valid', bytes: eol(encodeRequest(`WAIT ${g.int(0, 20)}`, framing)) };
  if (choice === 3) return { kind: 'valid', bytes: eol(encodeRequest(`SLEEP ${g.int(0, 5)}`, framing)) };
  if (choice === 4) return { kind: 'valid', bytes: eol(encodeRequest(`FIB ${g.int(0, 15)}`, framing)) };
  if (choice === 5) return { kind: 'valid', bytes: eol(encodeRequest(`REVERSE ${g.printable(g.int(1, 40))}`, framing)) };
  return { kind: 'valid', bytes: eol(encodeRequest(g.pick(['INFO', 'HASH 2 abc', 'UPPER straße']), framing)) };
}

function requestErrorPiece(g: Gen): Piece {
  const options = [
    () => encodeRequest(`NOPE${g.printable(g.int(0, 20)).replace(/ /g, '')}`),
    () => encodeRequest('FIB 99'),
    () => encodeRequest('SLEEP -1'),
    () => encodeRequest(`WAIT ${g.printable(3).replace(/[0-9]/g, 'x')}`),
    () => encodeRequest(Buffer.from([0x55, 0x50, 0x50, 0x45, 0x52, 0x20, 0xff, 0xfe]), 'binary'), // UPPER <invalid UTF-8>
  ];
  return { kind: 'request-error', bytes: g.pick(options)() };
}

function streamErrorPiece(g: Gen, o: FuzzOptions): Piece {
  const big = Buffer.from([0xff, 1, 1, 0, 0, 0, 0, 0]);
  big.writeUInt32BE(o.maxFrameBytes + g.int(1, 1 << 20), 4);
  const options = [
    () => Buffer.alloc(o.maxLineBytes + g.int(1, 3000), 0x41), // LINE_TOO_LONG
    () => big, // FRAME_TOO_LARGE
    () => Buffer.from([0xff, g.int(2, 255), 1, 0, 0, 0, 0, 4]), // MALFORMED_FRAME (version)
    () => Buffer.from([0xff, 1, g.int(2, 255), 0, 0, 0, 0, 4]), // MALFORMED_FRAME (kind)
    () => Buffer.from(`${g.pick(['GET', 'POST', 'HEAD'])} /${g.printable(5).replace(/\s/g, '')} HTTP/1.1\r\nHost: x\r\n\r\n`), // HTTP_REQUEST
  ];
  return { kind: 'stream-error', bytes: g.pick(options)() };
}

function script(g: Gen, o: FuzzOptions): Piece[] {
  const pieces: Piece[] = [];
  const n = g.int(1, 8);
  for (let i = 0; i < n; i++) {
    const roll = g.int(0, 99);
    if (roll < 50) pieces.push(validPiece(g));
    else if (roll < 62) pieces.push(requestErrorPiece(g));
    else if (roll < 70) pieces.push({ kind: 'blank', bytes: Buffer.from(g.pick(['\n', '\r\n'])) });
    else if (roll < 82) pieces.push({ kind: 'noise', bytes: g.bytes(g.int(1, 2000)) });
    else if (roll < 92) pieces.push(streamErrorPiece(g, o));
    else pieces.push({ kind: 'exit', bytes: encodeRequest('EXIT', g.chance(0.5) ? 'binary' : 'text') });
  }
  return pieces;
}

/** Splits `bytes` into chunks: whole, byte by byte, or random sizes. */
function chunking(g: Gen, bytes: Buffer): Buffer[] {
  const mode = bytes.length <= 400 && g.chance(0.2) ? 'bytes' : g.pick(['whole', 'random', 'random']);
  if (mode === 'whole') return [bytes];
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = mode === 'bytes' ? 1 : g.int(1, 700);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Whether every request should be answered, in order: only well-formed requests, EXIT only last. */
function answerable(pieces: Piece[]): boolean {
  return pieces.every((p, i) => p.kind === 'valid' || p.kind === 'request-error' || p.kind === 'blank' || (p.kind === 'exit' && i === pieces.length - 1));
}

function checkReplies(pieces: Piece[], replies: DecodedReply[], ending: Ending): string | null {
  const requests = pieces.filter((p) => p.kind !== 'blank');
  const exited = requests.at(-1)?.kind === 'exit';
  // Left open without EXIT, the server closes it at the idle timeout, with one more ERR.
  const extra = ending === 'wait' && !exited ? 1 : 0;
  if (replies.length !== requests.length + extra) return `${replies.length} replies for ${requests.length} requests (+${extra} expected)`;
  for (const [i, p] of requests.entries()) {
    const r = replies[i]!;
    if (p.kind === 'request-error') {
      if (r.ok || !REQUEST_ERROR_CODES.has(r.error.code)) return `reply ${i}: expected a request error, got ${r.ok ? 'OK' : r.error.code}`;
    } else if (!r.ok) return `reply ${i} (${p.kind}): ${r.error.code} ${r.error.message}`;
    else if (p.expect && !r.value.equals(p.expect)) return `reply ${i}: wrong value`;
  }
  if (extra && (replies.at(-1)!.ok || (replies.at(-1) as { error: { code: string } }).error.code !== 'SOCKETLAB_ERR_IDLE_TIMEOUT')) return 'last reply is not IDLE_TIMEOUT';
  return null;
}

const tick = (g: Gen): Promise<void> | null => {
  const roll = g.int(0, 9);
  if (roll < 7) return null; // write on at once
  if (roll < 9) return new Promise((r) => setImmediate(r));
  return new Promise((r) => setTimeout(r, g.int(1, 15)));
};

async function oneConnection(index: number, g: Gen, o: FuzzOptions, result: FuzzResult): Promise<void> {
  const pieces = script(g, o);
  const bytes = Buffer.concat(pieces.map((p) => p.bytes));
  const chunks = chunking(g, bytes);
  // Random delays only between a few chunks, so a well-formed script finishes well within the idle timeout.
  const delays = chunks.length <= 12;
  const ending = g.pick(ENDINGS);
  const cutAt = g.int(0, chunks.length - 1);
  result.endings[ending] = (result.endings[ending] ?? 0) + 1;
  const label = `seed ${o.seed}, connection ${index} (${pieces.map((p) => p.kind).join(',')}; ${chunks.length} chunks; ${ending})`;
  let peer: RawPeer;
  try {
    peer = await RawPeer.open(o.port);
  } catch (err) {
    result.failures.push(`${label}: connect failed: ${(err as Error).message}`);
    return;
  }
  try {
    for (const [i, chunk] of chunks.entries()) {
      if (ending === 'cut-mid-write' && i === cutAt) break;
      if (peer.isClosed) break;
      peer.socket.write(chunk);
      result.bytesSent += chunk.length;
      const wait = delays ? tick(g) : null;
      if (wait) await wait;
    }
    if (ending === 'half-close') peer.end();
    else if (ending === 'close' || ending === 'cut-mid-write') peer.destroy();
    else if (ending === 'reset') peer.socket.resetAndDestroy();
    if (ending === 'half-close' || ending === 'wait') {
      // The server must close it: after the replies (half-close), or at EXIT, a stream error or the idle timeout.
      if (!(await peer.closedWithin(o.closeBoundMs))) result.failures.push(`${label}: the server did not close the connection within ${o.closeBoundMs} ms`);
    }
    let replies: DecodedReply[];
    try {
      replies = peer.replies();
    } catch (err) {
      result.failures.push(`${label}: the server sent bytes that are not replies: ${(err as Error).message}`);
      return;
    }
    result.replies += replies.length;
    if ((ending === 'half-close' || ending === 'wait') && answerable(pieces)) {
      const problem = checkReplies(pieces, replies, ending);
      const how = `server FIN ${peer.serverEnded}, socket error ${peer.error ?? 'none'}, replies ${JSON.stringify(replies.map((r) => (r.ok ? 'OK' : r.error.code)))}`;
      if (problem) result.failures.push(`${label}: ${problem} (${how})`);
    }
  } finally {
    peer.destroy();
  }
}

/** Runs the fuzz for `budgetMs` (or `maxConnections`), `concurrency` connections at a time. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const result: FuzzResult = { connections: 0, bytesSent: 0, replies: 0, endings: {}, failures: [] };
  const end = Date.now() + o.budgetMs;
  let next = 0;
  const lane = async () => {
    while (Date.now() < end && next < o.maxConnections) {
      const index = next++;
      result.connections++;
      // Each connection draws from its own generator, seeded from the run's: the run replays whatever the interleaving.
      await oneConnection(index, new Gen(prng(o.seed ^ Math.imul(index + 1, 0x9e3779b1))), o, result);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return result;
}
