import { histogramRecord, mergeHistograms, stat, type CellResult, type CellSummary, type RunResult } from '@socketlab/results';

/** The summary of a cell over its runs: the medians the lesson reads, and the merged latency histogram. */
export function summarize(cell: CellResult): CellSummary {
  // A run where any client failed (refused, reset, timed out, wrong reply) has a total time, but it is
  // the time to the last failure, not the lesson's "last Goodbye!": it stays in the raw values (as null
  // in the stats' `values`) and out of the medians, and its errors are counted below.
  const done = (r: RunResult) => r.complete && r.errors.total === 0;
  const per = (f: (r: RunResult) => number | null) => stat(cell.runs.map((r) => (done(r) ? f(r) : null)));
  const complete = cell.runs.filter(done);
  return {
    completedRuns: complete.length,
    totalMs: per((r) => r.totalMs),
    serverCpuMs: per((r) => r.server?.cpuTotalMs ?? null),
    serverPeakRssBytes: per((r) => r.server?.peakRssBytes ?? null),
    loadgenCpuMs: per((r) => r.loadgen.cpuTotalMs),
    latencyP50Us: per((r) => r.tasks.latencyUs.p50),
    latencyP99Us: per((r) => r.tasks.latencyUs.p99),
    latencyUs: histogramRecord(mergeHistograms(complete.map((r) => r.tasks.latencyUs.encoded))),
    errors: cell.runs.reduce((a, r) => a + r.errors.total, 0),
    saturatedRuns: cell.runs.filter((r) => r.loadgen.saturated).length,
    noisyRuns: cell.runs.filter((r) => r.noise?.noisy === true).length,
  };
}
