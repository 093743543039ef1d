import { mulberry32, type ArrivalProcess } from '@socketlab/results';
import { integralShare } from '../shard/contract.ts';

/**
 * Arrival schedules of the open model, and how a run is split over loadgen's processes. Pure functions:
 * the same seed gives the same arrivals, so a run can be replayed and a test can count them.
 */

/**
 * The intended times of one process's arrivals, ms after its start, ascending, all < durationMs.
 * `constant`: phaseMs, phaseMs + 1000/rate, …; `poisson`: exponential gaps of mean 1000/rate ms drawn
 * from mulberry32(seed) (the first arrival one gap after the start). A generator, so a long run at a
 * high rate never holds its whole schedule in memory.
 */
export function* arrivalTimes(arrival: ArrivalProcess, rate: number, durationMs: number, phaseMs: number, seed: number): Generator<number, void, void> {
  if (rate <= 0) return;
  const gapMs = 1000 / rate;
  if (arrival === 'constant') {
    // k × gap rather than a running sum: no drift from adding rounding errors over a long run.
    for (let k = 0; ; k++) {
      const t = phaseMs + k * gapMs;
      if (t >= durationMs) return;
      yield t;
    }
  }
  const random = mulberry32(seed);
  let t = 0;
  for (;;) {
    t += -Math.log(1 - random()) * gapMs; // 1 − U is in (0, 1]: never log(0)
    if (t >= durationMs) return;
    yield t;
  }
}

/** How an open-model run (or probe) is split over loadgen's client processes. */
export interface ProcessSplit {
  /** Connections of each process used (all ≥ 1). */
  connections: number[];
  /** Integral rate share of each process, requests/s (all ≥ 1; all 0 for a probe). */
  rates: number[];
  /** Phase of each process's constant arrivals, ms. */
  phasesMs: number[];
}

/**
 * Splits `connections` and `rate` over at most `processes` processes: as many as there are processes,
 * connections and requests per second (each used process gets at least one of each), every share
 * integral. Constant arrivals are interleaved: process i starts i / rate s after process 0, so the
 * union of their schedules is evenly spaced (exactly when the shares are equal).
 */
export function splitRun(processes: number, connections: number, rate: number): ProcessSplit {
  const used = Math.max(1, Math.min(processes, connections, rate > 0 ? rate : Infinity));
  const idx = Array.from({ length: used }, (_, i) => i);
  return {
    connections: idx.map((i) => integralShare(connections, used, i)),
    rates: idx.map((i) => (rate > 0 ? integralShare(rate, used, i) : 0)),
    phasesMs: idx.map((i) => (rate > 0 ? (i * 1000) / rate : 0)),
  };
}
