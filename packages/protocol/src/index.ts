// @socketlab/protocol: the wire format, the task catalogue, coded errors and a client.
// The server-side machinery shared by every design lives in the `@socketlab/protocol/server` entry.

export { PROTOCOL_VERSION, BINARY_MAGIC, HEADER_BYTES, FrameKind, GOODBYE } from './constants.ts';
export { RequestDecoder, ReplyDecoder } from './decoder.ts';
export type { Framing, DecodedItem, DecodedRequest, DecodedStreamError, DecodedReply, DecoderLimits } from './decoder.ts';
export { encodeRequest, encodeOk, encodeError } from './encode.ts';
export {
  SocketlabError,
  LineTooLongError,
  FrameTooLargeError,
  MalformedFrameError,
  HttpRequestError,
  InvalidUtf8Error,
  UnknownCommandError,
  InvalidArgumentError,
  LimitExceededError,
  TooManyConnectionsError,
  BacklogFullError,
  ShuttingDownError,
  IdleTimeoutError,
  WorkerCrashedError,
  InternalError,
  InvalidOptionError,
  ConnectionClosedError,
  RequestTimeoutError,
  BadReplyError,
  ERROR_CLASSES,
  ERROR_CODES,
  errorFromCode,
  toSocketlabError,
  defineError,
} from './errors.ts';
export type { SerializedError } from './errors.ts';
export { DEFAULT_LIMITS, resolveLimits } from './limits.ts';
export type { Limits } from './limits.ts';
export { TASKS, parseTask, executeTask, parseInfo, fib, blockingSleep } from './tasks.ts';
export type { Task, TaskName, TaskDefinition, CostModel, ExecutionContext } from './tasks.ts';
export { Client, connect, DEFAULT_CLIENT_OPTIONS } from './client.ts';
export type { ClientOptions } from './client.ts';
export { detectRuntime, reusePortSupported, socketTransferSupported } from './runtime.ts';
export type { RuntimeFeatures } from './runtime.ts';
export { MESSAGE_BRAND, isBranded } from './messages.ts';
export type { Branded } from './messages.ts';
export { checkInteger, checkOneOf, checkString, checkBoolean, checkKnownKeys, deepFreeze } from './options.ts';
