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

/** `host:port` of a socket's peer, as the lesson prints its address tuple. */
export function peerName(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
