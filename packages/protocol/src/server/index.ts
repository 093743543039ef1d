// @socketlab/protocol/server: machinery every server design shares, written once.
// A design package supplies a `Design` (how a connection is served, where its tasks run);
// everything else (listening, limits, accounting, logging, CLI, shutdown) lives here.
export { ProtocolConnection, DEFAULT_LINGER_MS } from './connection.ts';
export type { ConnectionOptions, ConnectionCounters, TaskRunner, TaskValue, CloseReason } from './connection.ts';
export { serveSocket, ConnectionSet } from './serve.ts';
export { rejectSocket } from './reject.ts';
export type { ServeOptions } from './serve.ts';
export { TaskServer } from './task-server.ts';
export type { Design, ConnectionContext, ServerStats } from './task-server.ts';
export { Logger, peerName, escapeForLog, MAX_LOGGED_CHARS } from './logger.ts';
export { WaitQueue, WAITING_READ_AHEAD_BYTES, stopReading } from './wait-queue.ts';
export type { Admitted, Served } from './wait-queue.ts';
export type { LogFormat, LogFields } from './logger.ts';
export { DEFAULT_COMMON_SERVER_OPTIONS, resolveCommonOptions, resolveServerOptions } from './options.ts';
export type { CommonServerOptions, ResolvedCommonServerOptions } from './options.ts';
export { runServerCli, parseServerArgs, helpText, COMMON_FLAGS } from './cli.ts';
export type { FlagSpec, CliDefinition, ParsedArgs } from './cli.ts';
export { checkInteger, checkOneOf, checkString, checkBoolean, checkKnownKeys, deepFreeze } from '../options.ts';
export { EXECUTOR_STRATEGIES, DEFAULT_EXECUTOR_OPTIONS, resolveExecutorServerOptions, executorFlags, checkSpareOptionsApply } from './pool-options.ts';
export type { ExecutorStrategy, ExecutorServerOptions, ResolvedExecutorServerOptions } from './pool-options.ts';
export { Executors, ExecutorPool, occupiesThread, INLINE_TEXT_MAX_BYTES } from './executors.ts';
export { Spares, SPARE_CHECK_INTERVAL_MS, MAX_SPARES_PER_CHECK } from './spares.ts';
export type { SparePolicy, Assignment, SpareExecutor } from './spares.ts';
export { SocketHost } from './host.ts';
export type { HostConfig } from './host.ts';
export type { Executor, ExecutorCounts, ExitReport } from './executors.ts';
export { watchParent, childEnv, declaredParentPid, PARENT_PID_ENV, PARENT_POLL_MS } from './parent.ts';
export type { ParentWatch, ParentWatchOptions } from './parent.ts';
