import net from 'node:net';
import { ReplyDecoder, type DecodedReply } from '@socketlab/protocol';
import { mulberry32 } from '@socketlab/results';

export interface PeerOptions {
  /** Keep our side open after the server's FIN (a client that never closes). Default false: end on the server's FIN, as most clients do. */
  allowHalfOpen?: boolean;
  /** Do not read until `resume()` (a client that never reads its replies). */
  paused?: boolean;
  /** Keep what arrives (for `data` and `replies()`). Default true; false only counts it (`received`). */
  keep?: boolean;
}

/**
 * A raw client socket for hostile scenarios: sends arbitrary bytes, records everything the server
 * sends, and how the connection ended (the server's FIN, a reset, the close).
 */
export class RawPeer {
  readonly socket: net.Socket;
  readonly #chunks: Buffer[] = [];
  /** Bytes received so far. */
  received = 0;
  /** The server's FIN arrived. */
  serverEnded = false;
  /** The socket has closed (either way). */
  isClosed = false;
  /** The socket's error code (ECONNRESET, EPIPE...), if any. */
  error: string | null = null;
  /** Resolves once the socket has closed. */
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket, keep: boolean) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      if (keep) this.#chunks.push(d);
      this.received += d.length;
    });
    socket.on('end', () => (this.serverEnded = true));
    socket.on('error', (err: NodeJS.ErrnoException) => (this.error ??= err.code ?? err.message));
    this.closed = new Promise((resolve) => socket.once('close', () => ((this.isClosed = true), resolve())));
  }

  static open(port: number, options: PeerOptions = {}): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
      const peer = new RawPeer(socket, options.keep ?? true);
      if (options.paused) socket.pause();
      socket.once('connect', () => resolve(peer));
      socket.once('error', reject);
    });
  }

  /** Everything received so far. */
  get data(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** Everything received so far, decoded as replies; throws BadReplyError on bytes that are not replies. */
  replies(): DecodedReply[] {
    const decoder = new ReplyDecoder();
    decoder.push(this.data);
    const out: DecodedReply[] = [];
    let reply: DecodedReply | null;
    while ((reply = decoder.next()) !== null) out.push(reply);
    return out;
  }

  /** Writes a chunk; resolves true once the kernel has it, false if the socket failed or is gone. */
  send(chunk: Buffer | string): Promise<boolean> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(chunk, (err) => resolve(!err)));
  }

  /** Sends `total` bytes of `fill` in chunks of `chunkBytes`, each once the previous one is taken (stops early if the socket fails). */
  async sendFill(total: number, fill = 0x41, chunkBytes = 16 * 1024): Promise<number> {
    const chunk = Buffer.alloc(chunkBytes, fill);
    let sent = 0;
    while (sent < total) {
      const n = Math.min(chunkBytes, total - sent);
      if (!(await this.send(n === chunkBytes ? chunk : chunk.subarray(0, n)))) break;
      sent += n;
    }
    return sent;
  }

  /**
   * Sends one byte of `bytes` (cycled) every `everyMs` until the server closes or ends the connection,
   * or `maxMs` passes. Resolves with the number of bytes sent.
   */
  async trickle(bytes: Buffer, everyMs: number, maxMs: number): Promise<number> {
    const end = Date.now() + maxMs;
    let i = 0;
    while (Date.now() < end && !this.serverEnded && !this.isClosed) {
      if (!(await this.send(bytes.subarray(i % bytes.length, (i % bytes.length) + 1)))) break;
      i++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return i;
  }

  /** Resolves true once `check()` holds (checked on each arrival and on close), false after `ms`. */
  until(check: () => boolean, ms: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.socket.off('data', probe);
        this.socket.off('end', probe);
        this.socket.off('close', probe);
        resolve(v);
      };
      const probe = () => setImmediate(() => check() && done(true));
      const timer = setTimeout(() => done(check()), ms);
      this.socket.on('data', probe);
      this.socket.on('end', probe);
      this.socket.on('close', probe);
    });
  }

  /** Resolves true once the socket has closed, false after `ms`. */
  closedWithin(ms: number): Promise<boolean> {
    return this.until(() => this.isClosed, ms);
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** How a request ended for its client: `OK`, the error code without its `SOCKETLAB_ERR_` prefix, `RESET` or `EOF` (closed, no reply). */
export async function outcomeOf(request: Promise<unknown>): Promise<string> {
  try {
    await request;
    return 'OK';
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    if (e.code === 'SOCKETLAB_ERR_CONNECTION_CLOSED') return e.cause?.code === 'ECONNRESET' ? 'RESET' : 'EOF';
    return (e.code ?? String(err)).replace(/^SOCKETLAB_ERR_/, '');
  }
}

/** Counts of each outcome, e.g. `{ OK: 7, SHUTTING_DOWN: 9 }`. */
export function tally(outcomes: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) out[o] = (out[o] ?? 0) + 1;
  return out;
}

/** Seeded PRNG (@socketlab/results' mulberry32): the same seed gives the same run. Returns numbers in [0, 1). */
export const prng = mulberry32;

/** A seed from SOCKETLAB_FUZZ_SEED (to replay a failure), else a fresh one. */
export function seedFromEnv(): number {
  const given = process.env.SOCKETLAB_FUZZ_SEED;
  return given !== undefined && /^\d+$/.test(given) ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}
