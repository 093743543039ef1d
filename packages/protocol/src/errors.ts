/**
 * Every failure socketlab reports is a SocketlabError with a stable `code`. Codes are also what crosses
 * the wire (`ERR <CODE> <message>`) and thread/process boundaries, where class identity is lost, so match
 * on `code`, not `instanceof` (the advice undici gives for the same reason).
 *
 * Each code is documented in docs/errors.md; test/errors.test.ts keeps the two in step.
 * Codes are never reused once retired.
 */

export class SocketlabError extends Error {
  readonly code: string;
  /** True when the byte stream can no longer be trusted and the connection is closed after the reply. */
  readonly fatal: boolean;
  constructor(message: string, code = 'SOCKETLAB_ERR_INTERNAL', fatal = false) {
    super(message);
    this.name = 'SocketlabError';
    this.code = code;
    this.fatal = fatal;
  }
  /** Plain data for postMessage/process.send (JSON drops an Error's own fields). */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, fatal: this.fatal };
  }
}

export interface SerializedError {
  code: string;
  message: string;
  fatal?: boolean;
}

/**
 * The one way socketlab packages declare an error: a SocketlabError subclass with a stable `code`
 * (documented in docs/errors.md; each package's errors test keeps the table and the code in step), a
 * `name` for stack traces and a default message. `fatal` marks stream errors after which a connection
 * is closed.
 */
export function defineError(name: string, code: string, defaultMessage: string, fatal = false) {
  const cls = class extends SocketlabError {
    static readonly code = code;
    constructor(message: string = defaultMessage) {
      super(message, code, fatal);
      this.name = name;
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

// --- Stream errors: the connection is closed after the reply (fatal). ---
/** A text request line exceeded `maxLineBytes` before its newline arrived. */
export const LineTooLongError = defineError('LineTooLongError', 'SOCKETLAB_ERR_LINE_TOO_LONG', 'request line too long', true);
/** A binary frame header announced a payload larger than `maxFrameBytes`. */
export const FrameTooLargeError = defineError('FrameTooLargeError', 'SOCKETLAB_ERR_FRAME_TOO_LARGE', 'frame too large', true);
/** A binary frame header was malformed (unknown version, kind or flags). */
export const MalformedFrameError = defineError('MalformedFrameError', 'SOCKETLAB_ERR_MALFORMED_FRAME', 'malformed frame', true);
/** The peer spoke HTTP to a socketlab port. */
export const HttpRequestError = defineError('HttpRequestError', 'SOCKETLAB_ERR_HTTP_REQUEST', 'this is a socketlab task server, not an HTTP server', true);

// --- Request errors: one ERR reply, the connection goes on. ---
/** A text request was not valid UTF-8, or a text task got bytes that are not UTF-8. */
export const InvalidUtf8Error = defineError('InvalidUtf8Error', 'SOCKETLAB_ERR_INVALID_UTF8', 'request is not valid UTF-8');
/** The command is not in the task catalogue. */
export const UnknownCommandError = defineError('UnknownCommandError', 'SOCKETLAB_ERR_UNKNOWN_COMMAND', 'unknown command');
/** A task's arguments are missing or malformed. */
export const InvalidArgumentError = defineError('InvalidArgumentError', 'SOCKETLAB_ERR_INVALID_ARGUMENT', 'invalid argument');
/** A task's argument is beyond a configured limit (SLEEP/WAIT ms, FIB n, HASH rounds). */
export const LimitExceededError = defineError('LimitExceededError', 'SOCKETLAB_ERR_LIMIT_EXCEEDED', 'limit exceeded');

// --- Server errors. ---
/** The server is at `maxConnections`; the connection is closed after this reply. */
export const TooManyConnectionsError = defineError('TooManyConnectionsError', 'SOCKETLAB_ERR_TOO_MANY_CONNECTIONS', 'too many connections', true);
/** The iterative server's wait queue (`backlog`) is full; the connection is closed after this reply. */
export const BacklogFullError = defineError('BacklogFullError', 'SOCKETLAB_ERR_BACKLOG_FULL', 'server wait queue is full', true);
/** The server is shutting down and did not run this request. */
export const ShuttingDownError = defineError('ShuttingDownError', 'SOCKETLAB_ERR_SHUTTING_DOWN', 'server is shutting down', true);
/** The connection sent nothing for `idleTimeoutMs`; it is closed after this reply. */
export const IdleTimeoutError = defineError('IdleTimeoutError', 'SOCKETLAB_ERR_IDLE_TIMEOUT', 'idle timeout', true);
/** The worker thread or process running this request died before answering. */
export const WorkerCrashedError = defineError('WorkerCrashedError', 'SOCKETLAB_ERR_WORKER_CRASHED', 'worker crashed while running the task');
/** An unexpected failure inside the server; a bug. */
export const InternalError = defineError('InternalError', 'SOCKETLAB_ERR_INTERNAL', 'internal error');

// --- Local (API) errors: never sent on the wire. ---
/** An option passed to a socketlab API or CLI is invalid; the message names the option. */
export const InvalidOptionError = defineError('InvalidOptionError', 'SOCKETLAB_ERR_INVALID_OPTION', 'invalid option');
/** The connection closed before the reply to a request arrived. */
export const ConnectionClosedError = defineError('ConnectionClosedError', 'SOCKETLAB_ERR_CONNECTION_CLOSED', 'connection closed before the reply arrived');
/** No reply arrived within the client's `timeoutMs`. */
export const RequestTimeoutError = defineError('RequestTimeoutError', 'SOCKETLAB_ERR_REQUEST_TIMEOUT', 'request timed out');
/** The server sent bytes that are not a valid reply. */
export const BadReplyError = defineError('BadReplyError', 'SOCKETLAB_ERR_BAD_REPLY', 'server sent a malformed reply');

/** Every error class, keyed by its code. */
export const ERROR_CLASSES = Object.freeze(
  Object.fromEntries(
    [
      LineTooLongError, FrameTooLargeError, MalformedFrameError, HttpRequestError,
      InvalidUtf8Error, UnknownCommandError, InvalidArgumentError, LimitExceededError,
      TooManyConnectionsError, BacklogFullError, ShuttingDownError, IdleTimeoutError, WorkerCrashedError, InternalError,
      InvalidOptionError, ConnectionClosedError, RequestTimeoutError, BadReplyError,
    ].map((cls) => [cls.code, cls]),
  ),
) as Readonly<Record<string, new (message?: string) => SocketlabError>>;

/** Every stable error code. */
export const ERROR_CODES: readonly string[] = Object.freeze(Object.keys(ERROR_CLASSES));

/**
 * Rebuilds an error from its code and message (after a wire, postMessage or IPC hop). Unknown codes
 * (a newer server) still give a SocketlabError carrying that code.
 */
export function errorFromCode(code: string, message: string): SocketlabError {
  const cls = ERROR_CLASSES[code];
  return cls ? new cls(message) : new SocketlabError(message, code);
}

/** Coerces anything thrown into a SocketlabError (non-socketlab errors become SOCKETLAB_ERR_INTERNAL). */
export function toSocketlabError(err: unknown): SocketlabError {
  if (err instanceof SocketlabError) return err;
  if (err && typeof err === 'object' && 'code' in err && 'message' in err && typeof err.code === 'string' && err.code.startsWith('SOCKETLAB_ERR_')) {
    return errorFromCode(err.code, String(err.message));
  }
  return new InternalError(err instanceof Error ? err.message : String(err));
}
