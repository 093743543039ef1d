import { now } from '../client-core.ts';

/**
 * Clocks across shards. Every time here is `now()` (performance.timeOrigin + performance.now(), ms since
 * the epoch on the machine's own clock); shard 0's clock is the reference. A shard's offset is its clock
 * minus shard 0's, measured NTP-style: shard 0 sends its time t0, the shard answers with its time t1,
 * shard 0 reads t2 on arrival; assuming the two legs take equally long, offset = t1 − (t0 + t2) / 2, and
 * the error is at most half the round trip t2 − t0. Of several exchanges the one with the shortest round
 * trip is kept: it bounds the error best (a delayed leg only ever lengthens the round trip).
 */
export interface ClockSample {
  /** Shard 0's clock when it sent the ping, ms. */
  readonly t0: number;
  /** The shard's clock when it answered, ms. */
  readonly t1: number;
  /** Shard 0's clock when the answer arrived, ms. */
  readonly t2: number;
}

export interface ClockEstimate {
  /** The shard's clock minus shard 0's, ms (signed). */
  readonly offsetMs: number;
  /** Round trip of the exchange kept, ms: the offset is right to within half of it. */
  readonly rttMs: number;
}

/** The estimate from the exchange with the shortest round trip. */
export function estimateClock(samples: readonly ClockSample[]): ClockEstimate {
  if (samples.length === 0) throw new RangeError('estimateClock needs at least one sample');
  let best = samples[0]!;
  for (const s of samples) if (s.t2 - s.t0 < best.t2 - best.t0) best = s;
  return { offsetMs: best.t1 - (best.t0 + best.t2) / 2, rttMs: best.t2 - best.t0 };
}

/** Below this much time left, sleepUntil stops trusting timers (they fire late by up to a few ms) and polls. */
const POLL_BELOW_MS = 4;

/**
 * Resolves at (or just after) the local time `at` (a now() value). Timers alone can fire milliseconds
 * late; the last few ms are polled on the event loop (setImmediate), which keeps the loop responsive
 * (IPC and sockets still run) and lands within a fraction of a millisecond.
 */
export async function sleepUntil(at: number): Promise<void> {
  for (;;) {
    const left = at - now();
    if (left <= 0) return;
    if (left > POLL_BELOW_MS) await new Promise((r) => setTimeout(r, left - POLL_BELOW_MS));
    else await new Promise((r) => setImmediate(r));
  }
}
