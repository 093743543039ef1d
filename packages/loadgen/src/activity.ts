import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * What a client process measures about itself while it runs a run's clients (closed or open model):
 * its CPU, how long it was active, and how late its event loop ran timers. The parent judges from these
 * whether the generator set the pace (sweep/measure-run.ts judgeSaturation), the same way for both models.
 */
export interface Activity {
  /** process.cpuUsage() from the start to the end, µs. */
  cpu: { user: number; system: number };
  /** Start → end, ms: the time `cpu` was spent over. */
  activeMs: number;
  /** How late the event loop ran a 1 ms timer, ms (period subtracted); null if it never fired. */
  eventLoopDelay: { p99Ms: number; maxMs: number } | null;
}

/** Period of the event-loop delay timer, ms: 1 (the smallest) so that even a 50 ms run gets ~50 samples. */
const ELD_RESOLUTION_MS = 1;

/**
 * TEST ONLY: SOCKETLAB_LOADGEN_TEST_BURN_MS=n makes a client process busy-loop n ms at a time (yielding
 * to I/O in between) while a run is measured, a starved generator for the saturation flag's tests. Read
 * in the client process only, never by the parent; 0 or unset (always, outside tests) does nothing.
 */
const TEST_BURN_MS = Math.max(0, Number(process.env.SOCKETLAB_LOADGEN_TEST_BURN_MS ?? 0) || 0);

function startTestBurn(): () => void {
  if (TEST_BURN_MS === 0) return () => {};
  let timer: NodeJS.Immediate;
  const burn = () => {
    const end = performance.now() + TEST_BURN_MS;
    while (performance.now() < end) {
      // busy: the point of the hook
    }
    timer = setImmediate(burn);
  };
  timer = setImmediate(burn);
  return () => clearImmediate(timer);
}

/** Starts measuring this process; the returned function stops and reports (call it once). */
export function measureActivity(): () => Activity {
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  eld.enable();
  const stopBurn = startTestBurn();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    stopBurn();
    eld.disable();
    const toMs = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
    return {
      cpu: process.cpuUsage(cpu0),
      activeMs: performance.now() - t0,
      eventLoopDelay: eld.count > 0 ? { p99Ms: toMs(eld.percentile(99)), maxMs: toMs(eld.max) } : null,
    };
  };
}
