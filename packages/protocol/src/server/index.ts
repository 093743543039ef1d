// @socketlab/protocol/server: machinery every server design shares, written once.
export { ProtocolConnection } from './connection.ts';
export type { ConnectionOptions, ConnectionCounters, TaskRunner, TaskValue, CloseReason } from './connection.ts';
export { checkInteger, checkOneOf, checkString, checkBoolean, checkKnownKeys, deepFreeze } from '../options.ts';
