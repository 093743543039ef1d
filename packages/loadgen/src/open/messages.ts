/**
 * The open model's IPC messages (added to the ToWorker / FromWorker unions in ../messages.ts). One run:
 * `open-prepare` (the process's share) → the process connects its connections → `ready`; `go` → the
 * pacing loop, the drain, EXIT on every connection → `open-result`. `abort` stops it early.
 */
import { MESSAGE_BRAND as BRAND } from '@socketlab/protocol';
import type { ArrivalProcess } from '@socketlab/results';
import type { Activity } from '../activity.ts';
import type { FailureKind } from '../failure.ts';

/** One loadgen process's part of an open-model run (or of a capacity probe). */
export interface OpenShare {
  /** Position of the process in the run (0 …): seeds and the phase of constant arrivals come from it. */
  processIndex: number;
  /** Connections this process opens and loads. */
  connections: number;
  /** This process's integral share of the target rate, requests/s (0 in a probe). */
  rate: number;
  /** Constant arrivals: delay of this process's first arrival after its start, ms (interleaves the processes). */
  phaseMs: number;
  arrival: ArrivalProcess;
  /** This process's seed (the run's seed + processIndex). */
  seed: number;
  /** Arrivals are generated for this long after `go`, ms (the probe's length in a probe). */
  durationMs: number;
  maxInFlight: number;
  /** Most arrivals waiting for a slot in this process. */
  queueLimit: number;
  /** After durationMs, how long outstanding and queued requests may still complete, ms. */
  drainMs: number;
  /** Request templates, rotated over arrivals (arrival k of process p sends requests[(k + p) mod length]). */
  requests: string[];
  /** The expected reply value of each template (null: not checked). */
  expected: (string | null)[];
  /**
   * Capacity probe instead of a paced run: every slot is filled at `go` and refilled as soon as its
   * reply arrives (a closed loop at maxInFlight per connection), for durationMs; no queue, no pacing.
   */
  probe: boolean;
}

export interface OpenPrepareMessage {
  [BRAND]: true;
  type: 'open-prepare';
  runId: number;
  host: string;
  port: number;
  connectTimeoutMs: number;
  share: OpenShare;
}

/** One connection of an open-model run, as its process saw it. Times absolute (performance.timeOrigin + performance.now()), ms. */
export interface OpenConnectionReport {
  connectAt: number | null;
  firstReplyAt: number | null;
  /** When `Goodbye!` arrived; null if the connection failed or was cut. */
  doneAt: number | null;
  endAt: number;
  failure: FailureKind | null;
}

/** Everything one process counted. Every arrival ends in exactly one of dropped, unsent or sent; every sent request in one of a reply, a timeout or lost. */
export interface OpenShareReport {
  /** When the process started its schedule (its `go`), absolute ms. */
  startAt: number;
  /** When its last reply to a workload request arrived; null if none. */
  lastReplyAt: number | null;
  /** When the drain ended and EXIT was sent, absolute ms. */
  drainEndAt: number;
  arrivals: number;
  sent: number;
  sentLate: number;
  dropped: number;
  unsent: number;
  completed: number;
  errorReplies: number;
  wrongValues: number;
  timeouts: number;
  lost: number;
  peakQueued: number;
  /** `ERR` replies by code (workload requests and EXIT). */
  protocol: Record<string, number>;
  /** Σ over arrivals of (reply, drop or drain end − intended time), ms: the area under requests-in-system. */
  inSystemMs: number;
  /** Encoded HDR histograms, µs: intended send → reply; actual send → reply; timer lateness per pacing wake-up. */
  response: string;
  service: string;
  pacingLag: string;
  connections: OpenConnectionReport[];
  messages: string[];
}

/** An open-model run's report; its Activity is measured from 'go' to this report. */
export interface OpenResultMessage extends Activity {
  [BRAND]: true;
  type: 'open-result';
  runId: number;
  report: OpenShareReport;
}
