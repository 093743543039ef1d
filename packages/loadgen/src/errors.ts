import { defineError } from '@socketlab/protocol';
import { ResultsInvalidError } from '@socketlab/results';

/**
 * loadgen's own coded errors, declared with @socketlab/protocol's defineError like every socketlab
 * error; each code is documented in docs/errors.md. Option problems reuse @socketlab/protocol's
 * InvalidOptionError; a results document that does not match the schema throws @socketlab/results'
 * ResultsInvalidError (re-exported here, where loadgen's users have always found it).
 */

/** A server variant loadgen started did not report `listening` in time, or exited first. */
export const ServerStartError = defineError('ServerStartError', 'SOCKETLAB_ERR_SERVER_START', 'the server did not start');
export type ServerStartError = InstanceType<typeof ServerStartError>;

/** A loadgen client worker process failed to start, crashed, or broke the IPC protocol. */
export const LoadgenWorkerError = defineError('LoadgenWorkerError', 'SOCKETLAB_ERR_LOADGEN_WORKER', 'a loadgen worker process failed');
export type LoadgenWorkerError = InstanceType<typeof LoadgenWorkerError>;

/**
 * The sweep asks for more clients than this machine can take: more open files in one process than its
 * limit, or more local ports than its source addresses give. Thrown before anything starts.
 */
export const ClientCapacityError = defineError('ClientCapacityError', 'SOCKETLAB_ERR_CLIENT_CAPACITY', 'more clients than this machine can take');
export type ClientCapacityError = InstanceType<typeof ClientCapacityError>;

export { ResultsInvalidError };

/** Every error class loadgen defines (for the docs/errors.md registry test). */
export const LOADGEN_ERROR_CLASSES = Object.freeze([ServerStartError, LoadgenWorkerError, ClientCapacityError] as const);
