import { SocketlabError } from '@socketlab/protocol';

/**
 * loadgen's own coded errors. Each is a SocketlabError with a stable SOCKETLAB_ERR_* code, documented
 * in docs/errors.md. Option problems reuse @socketlab/protocol's InvalidOptionError.
 */

/** A server variant loadgen started did not report `listening` in time, or exited first. */
export class ServerStartError extends SocketlabError {
  static readonly code = 'SOCKETLAB_ERR_SERVER_START';
  constructor(message = 'the server did not start') {
    super(message, ServerStartError.code);
    this.name = 'ServerStartError';
  }
}

/** A loadgen client worker process failed to start, crashed, or broke the IPC protocol. */
export class LoadgenWorkerError extends SocketlabError {
  static readonly code = 'SOCKETLAB_ERR_LOADGEN_WORKER';
  constructor(message = 'a loadgen worker process failed') {
    super(message, LoadgenWorkerError.code);
    this.name = 'LoadgenWorkerError';
  }
}

/** A results document does not match the results schema (schema.json); the message names the field. */
export class ResultsInvalidError extends SocketlabError {
  static readonly code = 'SOCKETLAB_ERR_RESULTS_INVALID';
  constructor(message = 'results do not match the schema') {
    super(message, ResultsInvalidError.code);
    this.name = 'ResultsInvalidError';
  }
}

/** Every error class loadgen defines (for the docs/errors.md registry test). */
export const LOADGEN_ERROR_CLASSES = Object.freeze([ServerStartError, LoadgenWorkerError, ResultsInvalidError] as const);
