import net from 'node:net';
import { ReplyDecoder, type Framing } from './decoder.ts';
import { encodeRequest } from './encode.ts';
import { ConnectionClosedError, RequestTimeoutError, SocketlabError, toSocketlabError } from './errors.ts';
import { checkInteger, checkKnownKeys, checkOneOf, checkString } from './options.ts';

export interface ClientOptions {
  /** Server host. Default `127.0.0.1`. */
  host?: string;
  /** Server port (required). */
  port: number;
  /** Framing used by `request()`: `text` (default) or `binary`. */
  framing?: Framing;
  /** Fail the connection attempt after this many ms. Default 10000 (10 s); 0 disables. */
  connectTimeoutMs?: number;
  /** Fail a request whose reply has not arrived after this many ms. Default 0 (no timeout). */
  timeoutMs?: number;
}

export const DEFAULT_CLIENT_OPTIONS = Object.freeze({
  host: '127.0.0.1',
  framing: 'text' as Framing,
  connectTimeoutMs: 10_000, // 10 s
  timeoutMs: 0, // no per-request timeout
});

interface Pending {
  resolve: (value: Buffer) => void;
  reject: (error: SocketlabError) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A socketlab client on one connection. Requests may be pipelined: each `request()` is written at once,
 * and replies are matched to requests in order.
 */
export class Client {
  readonly socket: net.Socket;
  readonly framing: Framing;
  readonly #decoder = new ReplyDecoder();
  readonly #pending: Pending[] = [];
  readonly #timeoutMs: number;
  #closedError: SocketlabError | null = null;
  readonly #closed: Promise<void>;

  /** Use `connect()`. */
  constructor(socket: net.Socket, framing: Framing, timeoutMs: number) {
    this.socket = socket;
    this.framing = framing;
    this.#timeoutMs = timeoutMs;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      // Keep the socket's own error (ECONNRESET, EPIPE, ...) as `cause`: a reset and a close differ.
      const closed = new ConnectionClosedError(`connection error: ${err.message}`);
      (closed as Error & { cause?: unknown }).cause = err;
      this.#failAll(closed);
    });
    this.#closed = new Promise((resolve) => socket.once('close', () => {
      this.#failAll(new ConnectionClosedError());
      resolve();
    }));
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.length;
  }

  /** Sends one request (e.g. `'FIB 20'`) and resolves with the reply text, or rejects with a coded error. */
  async request(request: string | Uint8Array, framing: Framing = this.framing): Promise<string> {
    return (await this.requestRaw(request, framing)).toString('utf8');
  }

  /** Like `request()`, but resolves with the reply's bytes (binary-safe). */
  requestRaw(request: string | Uint8Array, framing: Framing = this.framing): Promise<Buffer> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    let bytes: Buffer;
    try {
      bytes = encodeRequest(request, framing);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Buffer>((resolve, reject) => {
      const entry: Pending = { resolve, reject, timer: undefined };
      if (this.#timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          // Replies are matched by order, so after a timeout the stream is out of step: close it.
          this.#failAll(new RequestTimeoutError(`no reply within ${this.#timeoutMs} ms`));
          this.socket.destroy();
        }, this.#timeoutMs);
      }
      this.#pending.push(entry);
      this.socket.write(bytes);
    });
  }

  /** Sends EXIT, waits for `Goodbye!` and for the server to close the connection. */
  async exit(): Promise<string> {
    const reply = await this.request('EXIT');
    await this.#closed;
    return reply;
  }

  /** Closes the connection (unanswered requests reject with SOCKETLAB_ERR_CONNECTION_CLOSED). */
  async close(): Promise<void> {
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    await this.#closed;
    clearTimeout(timer);
  }

  /** Resolves when the connection has closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  #onData(chunk: Buffer): void {
    this.#decoder.push(chunk);
    try {
      let reply;
      while ((reply = this.#decoder.next()) !== null) {
        const entry = this.#pending.shift();
        if (!entry) continue; // an unsolicited reply (e.g. TOO_MANY_CONNECTIONS before any request) is dropped
        if (entry.timer) clearTimeout(entry.timer);
        if (reply.ok) entry.resolve(reply.value);
        else entry.reject(reply.error);
      }
    } catch (err) {
      this.#failAll(toSocketlabError(err));
      this.socket.destroy();
    }
  }

  #failAll(error: SocketlabError): void {
    if (!this.#closedError) this.#closedError = error;
    for (const entry of this.#pending.splice(0)) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(error);
    }
  }
}

/** Connects to a socketlab server. */
export function connect(options: ClientOptions): Promise<Client> {
  checkKnownKeys('options', options, ['host', 'port', 'framing', 'connectTimeoutMs', 'timeoutMs']);
  const host = options.host === undefined ? DEFAULT_CLIENT_OPTIONS.host : checkString('host', options.host);
  const port = checkInteger('port', options.port, 1, 65535);
  const framing = options.framing === undefined ? DEFAULT_CLIENT_OPTIONS.framing : checkOneOf('framing', options.framing, ['text', 'binary'] as const);
  const connectTimeoutMs = options.connectTimeoutMs === undefined ? DEFAULT_CLIENT_OPTIONS.connectTimeoutMs : checkInteger('connectTimeoutMs', options.connectTimeoutMs, 0);
  const timeoutMs = options.timeoutMs === undefined ? DEFAULT_CLIENT_OPTIONS.timeoutMs : checkInteger('timeoutMs', options.timeoutMs, 0);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = connectTimeoutMs > 0
      ? setTimeout(() => {
          socket.destroy();
          reject(new RequestTimeoutError(`could not connect to ${host}:${port} within ${connectTimeoutMs} ms`));
        }, connectTimeoutMs)
      : undefined;
    const onError = (err: Error) => {
      if (timer) clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      if (timer) clearTimeout(timer);
      socket.off('error', onError);
      resolve(new Client(socket, framing, timeoutMs));
    });
  });
}
