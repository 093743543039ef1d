/**
 * The IPC between the sweep (parent) and its client worker processes: one tagged union per direction,
 * declared once and imported by both sides. Every message carries socketlab's one message brand
 * (MESSAGE_BRAND from @socketlab/protocol); messages without it are ignored. The channel is Node's default JSON serialization, so everything here
 * is plain data (errors travel as { code, message }).
 */

import { MESSAGE_BRAND as BRAND, isBranded } from '@socketlab/protocol';
import type { Expectation, ProtocolName, RawFraming } from './adapters.ts';
import type { Activity } from './activity.ts';
import type { FailureKind } from './failure.ts';
import type { OpenPrepareMessage, OpenResultMessage } from './open/messages.ts';
import type { RunDefinition } from '@socketlab/results';

export { BRAND, isBranded };

/** One client's work for a run. */
export interface ClientSpec {
  /** Index of the client within the run (0 … N-1). */
  index: number;
  /** Workload requests, in order (the exit request is sent after them). */
  requests: string[];
  /** What each request's reply must be (null: not checked, e.g. INFO). */
  expected: (Expectation | null)[];
}

export interface PrepareMessage {
  [BRAND]: true;
  type: 'prepare';
  runId: number;
  host: string;
  port: number;
  connectTimeoutMs: number;
  runTimeoutMs: number;
  /** How the clients talk to the server (adapters.ts): socketlab for the built-in designs. */
  protocol: ProtocolName;
  /** `raw`: what ends a reply. */
  raw: RawFraming;
  /** What ends a session, and its expected reply (socketlab: EXIT → Goodbye!). */
  exit: { request: string; expected: Expectation };
  /**
   * `connect-then-release`: the process connects its clients on `prepare` and says `ready` once every one
   * has connected or failed; `go` sends their first requests. `release-then-connect`: `ready` at once,
   * and each client connects on `go`.
   */
  runDefinition: RunDefinition;
  /** Local addresses to connect from, client i from the (i mod length)-th; empty: the OS picks. */
  sourceAddresses: string[];
  /** Record every request's send and reply time and the close (ClientReport.timeline): runs up to TIMELINE_MAX_CLIENTS. */
  timeline?: boolean;
  clients: ClientSpec[];
}

export interface GoMessage {
  [BRAND]: true;
  type: 'go';
  runId: number;
}

export interface AbortMessage {
  [BRAND]: true;
  type: 'abort';
  runId: number;
}

export interface ShutdownMessage {
  [BRAND]: true;
  type: 'shutdown';
}

/** The open model's messages (open-prepare, open-result) are declared in ./open/messages.ts. */
export type ToWorker = PrepareMessage | GoMessage | AbortMessage | ShutdownMessage | OpenPrepareMessage;

/** What one client measured. Times are absolute: performance.timeOrigin + performance.now(), ms. */
export interface ClientReport {
  index: number;
  connectAt: number | null;
  firstReplyAt: number | null;
  /** When `Goodbye!` arrived; null if the client failed. */
  doneAt: number | null;
  /** When the client stopped, success or failure. */
  endAt: number;
  tasksSent: number;
  tasksOk: number;
  wrongResult: number;
  /** `ERR` replies by code. */
  protocol: Record<string, number>;
  failure: FailureKind | null;
  messages: string[];
  /**
   * With PrepareMessage.timeline: when each request went out and when each reply came in (the exit
   * request and its reply last), and when the connection closed (null: never, e.g. never connected).
   */
  timeline?: { sentAt: number[]; replyAt: number[]; closeAt: number | null };
}

export interface LoadedMessage {
  [BRAND]: true;
  type: 'loaded';
}

export interface ReadyMessage {
  [BRAND]: true;
  type: 'ready';
  runId: number;
}

/** A closed-model run's report; its Activity is measured from 'go' to this report. */
export interface ResultMessage extends Activity {
  [BRAND]: true;
  type: 'result';
  runId: number;
  clients: ClientReport[];
  /** Task latencies, µs, as an encoded HDR histogram. */
  histogram: string;
}

export interface FailedMessage {
  [BRAND]: true;
  type: 'failed';
  error: { code: string; message: string };
}

export type FromWorker = LoadedMessage | ReadyMessage | ResultMessage | FailedMessage | OpenResultMessage;

