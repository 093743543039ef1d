/**
 * The servers' log: the lesson's lines by default, one JSON object per line with `--log json`, or
 * nothing with `--quiet`. Log calls sit on the hot path (one per request), so the silent logger's
 * methods are no-ops and callers check `logger.enabled` before building a message.
 */

export type LogFormat = 'text' | 'json' | 'silent';

export interface LogFields {
  [key: string]: string | number | boolean | null | undefined;
}

export class Logger {
  readonly format: LogFormat;
  readonly enabled: boolean;
  /**
   * Whether per-connection and per-request lines are logged. False with `quiet`: then only lifecycle
   * events are (listening, shutdown, worker crashes), which keeps logging off the hot path in benchmarks.
   */
  readonly traffic: boolean;
  readonly #quiet: boolean;
  readonly #base: LogFields;
  readonly #write: (line: string) => void;

  constructor(format: LogFormat, base: LogFields = {}, write: (line: string) => void = (line) => process.stdout.write(line + '\n'), quiet = false) {
    this.format = format;
    this.enabled = format !== 'silent';
    this.traffic = this.enabled && !quiet;
    this.#quiet = quiet;
    this.#base = base;
    this.#write = write;
  }

  /** Logs an event: `text` is the human line (the lesson's wording), `fields` the structured data. */
  info(event: string, text: string, fields: LogFields = {}): void {
    if (!this.enabled) return;
    if (this.format === 'text') this.#write(text);
    else this.#write(JSON.stringify({ time: new Date().toISOString(), level: 'info', event, ...this.#base, ...fields, msg: text }));
  }

  error(event: string, text: string, fields: LogFields = {}): void {
    if (!this.enabled) return;
    if (this.format === 'text') this.#write(text);
    else this.#write(JSON.stringify({ time: new Date().toISOString(), level: 'error', event, ...this.#base, ...fields, msg: text }));
  }

  child(fields: LogFields): Logger {
    return new Logger(this.format, { ...this.#base, ...fields }, this.#write, this.#quiet);
  }
}

/** Longest client-sent text a log line carries, in characters (after escaping); the rest is counted, not logged. */
export const MAX_LOGGED_CHARS = 200;

// C0 controls, DEL and C1 controls (U+009B is a one-character CSI in UTF-8 terminals), and the Unicode
// line and paragraph separators that some viewers break lines on.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/**
 * Makes text a client sent safe for a one-line log: newlines, tabs, backslashes and every control
 * character are escaped (`\n`, `\x1b`, `\u2028`), so a payload can neither start a forged log line nor
 * drive the terminal, and the result is capped at MAX_LOGGED_CHARS with the size of what was cut.
 */
export function escapeForLog(input: string | Uint8Array, maxChars = MAX_LOGGED_CHARS): string {
  const bytes = typeof input === 'string' ? null : input;
  // Decode no more than can be shown (4 bytes per character at most): a 1 MiB frame is not decoded whole.
  const text = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, maxChars * 4)).toString('utf8') : (input as string);
  let out = '';
  let shown = 0;
  for (const ch of text) {
    if (shown >= maxChars) break;
    out += UNSAFE.test(ch) ? (NAMED[ch] ?? (ch.charCodeAt(0) <= 0xff ? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)) : ch;
    shown++;
  }
  const total = bytes ? bytes.length : Buffer.byteLength(text);
  const usedBytes = Buffer.byteLength([...text].slice(0, shown).join(''));
  return usedBytes < total ? `${out}… (${total} bytes)` : out;
}

/** `host:port` of a socket's peer, as the lesson prints its address tuple. */
export function peerName(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
