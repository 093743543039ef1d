import { mergeHistograms, median, type DesignLabel, type RunResult, type WorkloadDefinition } from '@socketlab/results';
import type { Dataset, OpenDataCell } from './load.ts';

/**
 * The open model's part of the report (loadgen --model open): latency against throughput per design,
 * the knee, Little's law per cell, and the closed and open models side by side where the data has both.
 * Numbers only; markdown/open-section.ts writes the prose and open-charts.ts the charts.
 */

/** The rules the open-model section applies (the report's method section states them). */
export const OPEN_RULES = Object.freeze({
  /**
   * The knee: the highest rate such that it and every lower rate are healthy: no run saturated (the
   * server kept up: throughput within loadgen's rateTolerance of the offered rate, nothing dropped) or
   * generator-limited, and a response p99 at most this many times the lowest rate's. 4×: the p99 of an
   * unloaded server moves by less (timer and scheduling noise), while queueing past capacity multiplies
   * it by far more within one step of a rate sweep.
   */
  kneeP99Factor: 4,
  /**
   * Little's law (L = λ × W) holds when the mean in system the generator counted and throughput × mean
   * response time differ by at most this share of the larger. Both come from the same requests, so they
   * agree to the histogram's precision (0.1 %) unless requests stayed in the system without a recorded
   * response (timeouts, unsent, lost) or a count is wrong: 5 % is far above rounding and below any such
   * problem worth knowing about.
   */
  littleTolerance: 0.05,
  /** A closed and an open cell are "at about the same throughput" when the larger is at most this much above the smaller (ratio − 1). */
  throughputMatch: 0.25,
});

/** Little's law on one open cell's complete runs. */
export interface LittleCheck {
  /** Mean requests in the system, counted by the generator (Σ meanInSystem × windowMs ÷ Σ windowMs). */
  readonly measured: number;
  /** Throughput of replies × mean response time (λ × W). */
  readonly predicted: number;
  /** |measured − predicted| ÷ the larger of the two (0 when both are 0). */
  readonly deviation: number;
  readonly holds: boolean;
}

/** One rate of one design: its complete runs pooled. Times in ms, rates in requests/s. */
export interface OpenPoint {
  readonly rate: number;
  readonly ratePercent: number | null;
  readonly connections: number;
  readonly runs: number;
  /** Median over the complete runs. */
  readonly throughput: number;
  readonly offeredRate: number;
  /** Response time (from the intended send), all complete runs' histograms added. */
  readonly responseP50Ms: number;
  readonly responseP99Ms: number;
  readonly responseMeanMs: number;
  /** Service time (from the actual send). */
  readonly serviceP50Ms: number;
  readonly serviceP99Ms: number;
  /** Pacing-lag p99 of the pooled runs. */
  readonly pacingLagP99Ms: number;
  readonly arrivals: number;
  readonly sentLate: number;
  readonly dropped: number;
  /** Timed out or never sent when the drain ended. */
  readonly timedOut: number;
  readonly errors: number;
  /** Some run was flagged saturated (the server did not keep up). */
  readonly saturated: boolean;
  /** Some run was flagged generator-limited (loadgen may have set the pace). */
  readonly generatorLimited: boolean;
  readonly noisy: boolean;
  readonly little: LittleCheck;
}

export interface OpenCurve {
  readonly design: DesignLabel;
  readonly workload: string;
  /** Ascending rate; rates without a complete run are left out. */
  readonly points: readonly OpenPoint[];
  /** The knee (OPEN_RULES.kneeP99Factor); null when even the lowest rate is not healthy. */
  readonly knee: OpenPoint | null;
  /** Why there is no knee, or why the knee is the highest rate measured. */
  readonly kneeNote: 'none-healthy' | 'all-healthy' | null;
}

/** What the comparison with the closed model reads of a closed cell (analysis.ts's CellStats). */
export interface ClosedCell {
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
  readonly medianTotalMs: number | null;
  readonly latency: { readonly p99Ms: number } | null;
}

/** The closed and the open model on one design × workload at about the same throughput. */
export interface ModelComparison {
  readonly design: DesignLabel;
  readonly workload: string;
  readonly closedClients: number;
  /** Tasks completed ÷ run total time, median over the clean runs, requests/s. */
  readonly closedThroughput: number;
  readonly closedP99Ms: number;
  readonly open: OpenPoint;
}

export interface OpenWorkloadAnalysis {
  readonly workload: WorkloadDefinition;
  readonly curves: readonly OpenCurve[];
}

export interface OpenAnalysis {
  readonly workloads: readonly OpenWorkloadAnalysis[];
  readonly comparisons: readonly ModelComparison[];
  /** Open cells with no complete run (left out of the curves). */
  readonly emptyCells: readonly OpenDataCell[];
}

const ms = (us: number) => us / 1000;

/** Little's law over a cell's complete runs. */
export function littleCheck(runs: readonly RunResult[]): LittleCheck {
  let area = 0; // requests × ms
  let windowMs = 0;
  let replies = 0;
  for (const r of runs) {
    area += r.open!.meanInSystem * r.open!.windowMs;
    windowMs += r.open!.windowMs;
    replies += r.open!.replies;
  }
  const response = mergeHistograms(runs.map((r) => r.tasks.latencyUs.encoded));
  const measured = windowMs > 0 ? area / windowMs : 0;
  const predicted = windowMs > 0 && response.totalCount > 0 ? (replies / windowMs) * ms(response.mean) : 0;
  const larger = Math.max(measured, predicted);
  const deviation = larger === 0 ? 0 : Math.abs(measured - predicted) / larger;
  return { measured, predicted, deviation, holds: deviation <= OPEN_RULES.littleTolerance };
}

/** One open cell as a point of its design's curve; null without a complete run. */
export function openPoint(cell: OpenDataCell): OpenPoint | null {
  const runs = cell.runs.map((s) => s.run).filter((r) => r.complete && r.open !== undefined);
  if (runs.length === 0) return null;
  const response = mergeHistograms(runs.map((r) => r.tasks.latencyUs.encoded));
  const service = mergeHistograms(runs.map((r) => r.open!.serviceUs.encoded));
  const lag = mergeHistograms(runs.map((r) => r.open!.pacingLagUs.encoded));
  const at = (h: typeof response, p: number) => (h.totalCount === 0 ? 0 : ms(h.getValueAtPercentile(p)));
  const sum = (f: (r: RunResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    rate: cell.rate,
    ratePercent: cell.ratePercent,
    connections: cell.connections,
    runs: runs.length,
    throughput: median(runs.map((r) => r.open!.throughputPerSec))!,
    offeredRate: median(runs.map((r) => r.open!.offeredRate))!,
    responseP50Ms: at(response, 50),
    responseP99Ms: at(response, 99),
    responseMeanMs: response.totalCount === 0 ? 0 : ms(response.mean),
    serviceP50Ms: at(service, 50),
    serviceP99Ms: at(service, 99),
    pacingLagP99Ms: at(lag, 99),
    arrivals: sum((r) => r.open!.arrivals),
    sentLate: sum((r) => r.open!.sentLate),
    dropped: sum((r) => r.open!.dropped),
    timedOut: sum((r) => r.open!.timeouts + r.open!.unsent),
    errors: sum((r) => r.errors.total),
    saturated: runs.some((r) => r.open!.saturated),
    generatorLimited: runs.some((r) => r.open!.generatorLimited),
    noisy: runs.some((r) => r.noise?.noisy === true),
    little: littleCheck(runs),
  };
}

/** The knee of a curve by OPEN_RULES.kneeP99Factor (see there). */
export function kneeOf(points: readonly OpenPoint[]): Pick<OpenCurve, 'knee' | 'kneeNote'> {
  if (points.length === 0) return { knee: null, kneeNote: 'none-healthy' };
  const base = points[0]!.responseP99Ms;
  let knee: OpenPoint | null = null;
  for (const p of points) {
    const healthy = !p.saturated && !p.generatorLimited && p.responseP99Ms <= OPEN_RULES.kneeP99Factor * base;
    if (!healthy) break;
    knee = p;
  }
  return { knee, kneeNote: knee === null ? 'none-healthy' : knee === points[points.length - 1] ? 'all-healthy' : null };
}

/**
 * For every design × workload with both closed cells and an open curve: each closed N whose throughput
 * (tasks ÷ median total time) lies within OPEN_RULES.throughputMatch of an open point's, paired with the
 * nearest such point.
 */
export function modelComparisons(closed: readonly ClosedCell[], curves: readonly OpenCurve[], tasksPerClient: number): ModelComparison[] {
  const out: ModelComparison[] = [];
  for (const c of closed) {
    if (c.medianTotalMs === null || c.medianTotalMs <= 0 || c.latency === null) continue;
    const curve = curves.find((x) => x.design === c.design && x.workload === c.workload);
    if (!curve) continue;
    const throughput = (c.clients * tasksPerClient) / (c.medianTotalMs / 1000);
    let best: OpenPoint | null = null;
    let bestRatio = Infinity;
    for (const p of curve.points) {
      if (p.throughput <= 0) continue;
      const ratio = Math.max(p.throughput, throughput) / Math.min(p.throughput, throughput);
      if (ratio - 1 <= OPEN_RULES.throughputMatch && ratio < bestRatio) {
        best = p;
        bestRatio = ratio;
      }
    }
    if (best) out.push({ design: c.design, workload: c.workload, closedClients: c.clients, closedThroughput: throughput, closedP99Ms: c.latency.p99Ms, open: best });
  }
  return out;
}

/** The open model's analysis; null when the data has no open cell. */
export function analyseOpen(dataset: Dataset, closedCells: readonly ClosedCell[]): OpenAnalysis | null {
  if (dataset.openCells.length === 0) return null;
  const emptyCells: OpenDataCell[] = [];
  const workloads: OpenWorkloadAnalysis[] = [];
  for (const workload of dataset.workloads) {
    const cells = dataset.openCells.filter((c) => c.workload === workload.name);
    if (cells.length === 0) continue;
    const designs = [...new Set(cells.map((c) => c.design))];
    const curves = designs.map((design): OpenCurve => {
      const points: OpenPoint[] = [];
      for (const c of cells.filter((x) => x.design === design)) {
        const p = openPoint(c);
        if (p) points.push(p);
        else emptyCells.push(c);
      }
      return { design, workload: workload.name, points, ...kneeOf(points) };
    });
    workloads.push({ workload, curves });
  }
  const comparisons = modelComparisons(closedCells, workloads.flatMap((w) => w.curves), dataset.tasksPerClient);
  return { workloads, comparisons, emptyCells };
}
