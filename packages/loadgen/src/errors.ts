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

/** A sharded run's rendezvous failed: a shard could not reach shard 0, disagreed with it, or left. */
export const ShardRendezvousError = defineError('ShardRendezvousError', 'SOCKETLAB_ERR_SHARD_RENDEZVOUS', 'the shards could not meet');
export type ShardRendezvousError = InstanceType<typeof ShardRendezvousError>;

/** A shard did not arrive (connect, or get ready for a run) within --rendezvous-timeout-ms. */
export const ShardTimeoutError = defineError('ShardTimeoutError', 'SOCKETLAB_ERR_SHARD_TIMEOUT', 'a shard did not arrive in time');
export type ShardTimeoutError = InstanceType<typeof ShardTimeoutError>;

/** Shard results files that cannot be merged into one: another sweep, another configuration, a shard missing. */
export const ShardMergeError = defineError('ShardMergeError', 'SOCKETLAB_ERR_SHARD_MERGE', 'the shard results cannot be merged');
export type ShardMergeError = InstanceType<typeof ShardMergeError>;

/**
 * The sweep asks for more clients than this machine can take: more open files in one process than its
 * limit, or more local ports than its source addresses give. Thrown before anything starts.
 */
export const ClientCapacityError = defineError('ClientCapacityError', 'SOCKETLAB_ERR_CLIENT_CAPACITY', 'more clients than this machine can take');
export type ClientCapacityError = InstanceType<typeof ClientCapacityError>;

/**
 * A server loadgen was to start cannot have its port: a fixed port (`--server name:PORT=…`) already in
 * use before it started, or a port whose listener is held by no process of the server.
 */
export const PortInUseError = defineError('PortInUseError', 'SOCKETLAB_ERR_PORT_IN_USE', 'the server\'s port is taken by another process');
export type PortInUseError = InstanceType<typeof PortInUseError>;

/** A server's reply grew past MAX_REPLY_BYTES (adapters.ts) without its end: the connection is closed. */
export const ReplyTooLargeError = defineError('ReplyTooLargeError', 'SOCKETLAB_ERR_REPLY_TOO_LARGE', 'a reply was larger than loadgen accepts');
export type ReplyTooLargeError = InstanceType<typeof ReplyTooLargeError>;

/** --budget (budgetMs) is too small for the smallest plan: every design, the smallest and largest N, 2 runs. */
export const BudgetTooSmallError = defineError('BudgetTooSmallError', 'SOCKETLAB_ERR_BUDGET_TOO_SMALL', 'the time budget cannot fit the smallest sweep');
export type BudgetTooSmallError = InstanceType<typeof BudgetTooSmallError>;

export { ResultsInvalidError };

/** Every error class loadgen defines (for the docs/errors.md registry test). */
export const LOADGEN_ERROR_CLASSES = Object.freeze([ServerStartError, LoadgenWorkerError, ShardRendezvousError, ShardTimeoutError, ShardMergeError, ClientCapacityError, PortInUseError, ReplyTooLargeError, BudgetTooSmallError] as const);
