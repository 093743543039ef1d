import { isPool, median, summarizeLatency, type DesignLabel, type ErrorCounts, type LatencySummary, type WorkloadDefinition } from '@socketlab/results';
import type { DataCell, Dataset } from './load.ts';

/**
 * Everything the report says is computed here from the data, as numbers; prose.ts turns the numbers
 * into sentences and charts.ts into charts. Times are in ms unless a name says otherwise.
 */

/** The design every speed-up is measured against: the lesson's single-process (iterative) server. */
export const BASELINE_DESIGN: DesignLabel = 'single-iterative';

/** How a task spends its time (docs/protocol.md, "Task catalogue"). */
export type TaskKind = 'blocking' | 'async' | 'cpu' | 'instant' | 'other';

/** One kind of task in a workload, with its time. */
export interface TaskShare {
  readonly kind: TaskKind;
  /** The request template, e.g. `SLEEP 15`. */
  readonly template: string;
  /** Fraction of all tasks that are this template (clients rotate through the templates). */
  readonly share: number;
  /** Time of one task, ms: the SLEEP/WAIT argument, 0 for instant tasks, measured or estimated for CPU tasks. */
  readonly taskMs: number;
  /** Where taskMs comes from. */
  readonly source: 'argument' | 'measured' | 'estimate' | 'none';
}

/** One run as a point of a chart or a table. */
export interface RunPoint {
  /** `Run1`, `Run2`, … in input order, then run order. */
  readonly label: string;
  /** 1-based position (the number in `label`). */
  readonly index: number;
  readonly input: number;
  readonly complete: boolean;
  readonly totalMs: number | null;
  readonly serverCpuMs: number | null;
  readonly serverPeakRssBytes: number | null;
  readonly saturated: boolean;
  readonly errors: ErrorCounts;
  readonly failedClients: number;
  readonly errorSamples: readonly string[];
}

/** One design × workload × N cell, summarised over its complete runs. */
export interface CellStats {
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
  readonly complete: boolean;
  readonly runs: readonly RunPoint[];
  /** Median total time over the complete runs (the lesson's figure), ms; null if none. */
  readonly medianTotalMs: number | null;
  readonly medianServerCpuMs: number | null;
  readonly medianServerPeakRssBytes: number | null;
  /** Task latency over every complete run's tasks (histograms added), ms. */
  readonly latency: LatencySummary | null;
  /** Smallest task latency recorded in the cell, ms (an uncontended task plus one round trip). */
  readonly minLatencyMs: number | null;
}

/** A least-squares line y = slope × x + intercept. */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** Coefficient of determination; null when every y is the same (nothing to explain). */
  readonly r2: number | null;
  readonly points: number;
}

/** Where a design stops scaling (see stopScalingFactor). */
export interface StopScaling {
  /** The smallest N with a median, and that median. */
  readonly baseN: number;
  readonly baseMs: number;
  /** First N whose median is at least factor × baseMs; null if none in the sweep. */
  readonly n: number | null;
  readonly medianMs: number | null;
  /** Largest N with a median, and its median as a multiple of baseMs. */
  readonly maxN: number;
  readonly ratioAtMax: number;
  readonly factor: number;
  /**
   * True when the total time is proportional to N from the start (a straight line through about the
   * origin, see PROPORTIONAL): the design never scaled, it was serial (or waved) all along.
   */
  readonly proportional: boolean;
}

/** "Proportional to N": R² at least `minR2`, a positive slope, and |intercept| ≤ `maxInterceptShare` × slope × the smallest N. */
export const PROPORTIONAL = Object.freeze({ minR2: 0.95, maxInterceptShare: 0.25 });

/** How many tasks of a kind can run at once in a design ("lanes"); Infinity = as many as there are clients. */
export interface Lane {
  readonly kind: TaskKind;
  readonly lanes: number;
}

/** What the workload's cost model predicts for a design. */
export interface CostModel {
  /** One client's work: tasksPerClient × the mean task time, ms. */
  readonly perClientWorkMs: number;
  /** Predicted slope of total time vs N, ms per client: Σ share × tasksPerClient × taskMs / lanes. */
  readonly expectedSlopeMs: number;
  readonly lanes: readonly Lane[];
}

/** One design within one workload. */
export interface DesignAnalysis {
  readonly design: DesignLabel;
  readonly workload: string;
  readonly cells: readonly CellStats[];
  /** Median total time vs N: the slope is the marginal cost of one more client, ms per client. */
  readonly fit: LinearFit | null;
  /** Median server CPU per run vs N: the slope is the server's CPU per extra client, ms per client. */
  readonly cpuFit: LinearFit | null;
  readonly stop: StopScaling | null;
  /** Median of the baseline design ÷ this design's median, at each N both have. */
  readonly speedUp: readonly { readonly clients: number; readonly value: number }[];
  /** Null for an external server (its design is unknown). */
  readonly model: CostModel | null;
}

/** A run of consecutive N with the same fastest design. */
export interface FastestSegment {
  readonly design: DesignLabel;
  readonly fromN: number;
  readonly toN: number;
}

export interface WorkloadAnalysis {
  readonly workload: WorkloadDefinition;
  readonly tasks: readonly TaskShare[];
  readonly designs: readonly DesignAnalysis[];
  /** Fastest design (lowest median total time) at each N, grouped. */
  readonly fastest: readonly FastestSegment[];
  /** Largest N every design of the workload has a median at (where "fastest" is judged); null if none. */
  readonly compareN: number | null;
}

/** A run the report flags. */
export interface RunFlag {
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
  readonly run: string;
  readonly saturated: boolean;
  readonly incomplete: boolean;
  readonly errors: ErrorCounts;
  readonly failedClients: number;
  readonly errorSamples: readonly string[];
}

/** A cell an input's config planned that has no complete run with a total time. */
export interface MissingCell {
  readonly input: number;
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
}

export interface Analysis {
  readonly dataset: Dataset;
  /** Planned cells without data, in input, workload, design, N order. */
  readonly missing: readonly MissingCell[];
  readonly workloads: readonly WorkloadAnalysis[];
  readonly flags: readonly RunFlag[];
  /** Runs, complete runs, saturated runs, runs with errors, errors, over every cell. */
  readonly totals: { readonly runs: number; readonly completeRuns: number; readonly saturatedRuns: number; readonly runsWithErrors: number; readonly errors: number };
  readonly stopScalingFactor: number;
}

/** Least-squares fit; null with fewer than 2 distinct x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2 || new Set(xs.slice(0, n)).size < 2) return null;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const e = ys[i]! - (slope * xs[i]! + intercept);
    sse += e * e;
  }
  return { slope, intercept, r2: syy === 0 ? null : 1 - sse / syy, points: n };
}

/** The kind and time of a request template (`SLEEP 15`, `FIB 27`, …). */
export function classifyTask(template: string): { kind: TaskKind; argMs: number | null } {
  const [name = '', arg = ''] = template.trim().split(/\s+/, 2);
  const ms = /^\d+$/.test(arg) ? Number(arg) : null;
  switch (name.toUpperCase()) {
    case 'SLEEP':
      return { kind: 'blocking', argMs: ms };
    case 'WAIT':
      return { kind: 'async', argMs: ms };
    case 'FIB':
    case 'HASH':
      return { kind: 'cpu', argMs: null };
    case 'PING':
    case 'ECHO':
    case 'UPPER':
    case 'REVERSE':
      return { kind: 'instant', argMs: 0 };
    default:
      return { kind: 'other', argMs: null };
  }
}

/**
 * How many tasks of `kind` the design runs at once. This is the designs' cost model:
 * - single-iterative serves one connection at a time, whatever the task: 1;
 * - single-event-loop runs tasks on its one thread: 1 for blocking and CPU tasks, unbounded for
 *   non-blocking (WAIT) and instant ones;
 * - per-connection designs give each client a process or thread: unbounded for blocking tasks, but CPU
 *   tasks share the machine's cores;
 * - pools run poolSize tasks at once (blocking), or min(poolSize, cores) CPU tasks.
 * Null for an external server, whose design loadgen does not know.
 */
export function lanesFor(design: DesignLabel, kind: TaskKind, cores: number, poolSize: number): number | null {
  if (design === 'external') return null;
  if (kind === 'instant' || kind === 'other') return design === 'single-iterative' ? 1 : Infinity;
  if (design === 'single-iterative') return 1;
  if (kind === 'async') return Infinity;
  if (design === 'single-event-loop') return 1;
  const pool = isPool(design);
  if (kind === 'blocking') return pool ? poolSize : Infinity;
  return pool ? Math.min(poolSize, cores) : cores; // cpu
}

function medianOf(values: readonly (number | null)[]): number | null {
  return median(values.filter((v): v is number => v !== null));
}

function cellStats(cell: DataCell): CellStats {
  const runs: RunPoint[] = cell.runs.map((s, i) => ({
    label: `Run${i + 1}`,
    index: i + 1,
    input: s.input,
    complete: s.run.complete,
    totalMs: s.run.complete ? s.run.totalMs : null,
    serverCpuMs: s.run.server?.cpuTotalMs ?? null,
    serverPeakRssBytes: s.run.server?.peakRssBytes ?? null,
    saturated: s.run.loadgen.saturated,
    errors: s.run.errors,
    failedClients: s.run.clients.failed,
    errorSamples: s.run.errorSamples,
  }));
  const done = cell.runs.filter((s) => s.run.complete);
  const latency = summarizeLatency(done.map((s) => s.run.tasks.latencyUs.encoded));
  const mins = done.map((s) => s.run.tasks.latencyUs.min).filter((v): v is number => v !== null);
  return {
    workload: cell.workload,
    design: cell.design,
    clients: cell.clients,
    complete: cell.complete,
    runs,
    medianTotalMs: medianOf(runs.filter((r) => r.complete).map((r) => r.totalMs)),
    medianServerCpuMs: medianOf(runs.filter((r) => r.complete).map((r) => r.serverCpuMs)),
    medianServerPeakRssBytes: medianOf(runs.filter((r) => r.complete).map((r) => r.serverPeakRssBytes)),
    latency,
    minLatencyMs: mins.length ? Math.min(...mins) / 1000 : null,
  };
}

function stopScaling(cells: readonly CellStats[], factor: number, fit: LinearFit | null): StopScaling | null {
  const withMedian = cells.filter((c) => c.medianTotalMs !== null);
  if (withMedian.length === 0) return null;
  const base = withMedian[0]!;
  const last = withMedian[withMedian.length - 1]!;
  const baseMs = base.medianTotalMs!;
  const stop = withMedian.slice(1).find((c) => c.medianTotalMs! >= factor * baseMs) ?? null;
  return {
    baseN: base.clients,
    baseMs,
    n: stop?.clients ?? null,
    medianMs: stop?.medianTotalMs ?? null,
    maxN: last.clients,
    ratioAtMax: baseMs > 0 ? last.medianTotalMs! / baseMs : 1,
    factor,
    proportional: fit !== null && fit.r2 !== null && fit.r2 >= PROPORTIONAL.minR2 && fit.slope > 0 &&
      Math.abs(fit.intercept) <= PROPORTIONAL.maxInterceptShare * fit.slope * base.clients,
  };
}

function fitOf(cells: readonly CellStats[], pick: (c: CellStats) => number | null): LinearFit | null {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const c of cells) {
    const y = pick(c);
    if (y !== null) {
      xs.push(c.clients);
      ys.push(y);
    }
  }
  return linearFit(xs, ys);
}

function taskShares(workload: WorkloadDefinition, cells: readonly CellStats[]): TaskShare[] {
  const classified = workload.tasks.map((t) => ({ template: t, ...classifyTask(t) }));
  const pureCpu = classified.every((t) => t.kind === 'cpu');
  const measured = cells.map((c) => c.minLatencyMs).filter((v): v is number => v !== null);
  return classified.map((t) => {
    const share = 1 / classified.length;
    if (t.argMs !== null) return { kind: t.kind, template: t.template, share, taskMs: t.argMs, source: 'argument' as const };
    if (t.kind === 'cpu' && pureCpu && measured.length) return { kind: t.kind, template: t.template, share, taskMs: Math.min(...measured), source: 'measured' as const };
    if (t.kind === 'cpu') return { kind: t.kind, template: t.template, share, taskMs: workload.fibEstimatedMs ?? workload.taskMs, source: 'estimate' as const };
    return { kind: t.kind, template: t.template, share, taskMs: 0, source: 'none' as const };
  });
}

function costModel(design: DesignLabel, tasks: readonly TaskShare[], tasksPerClient: number, cores: number, poolSize: number): CostModel | null {
  const lanes: Lane[] = [];
  let expected = 0;
  let work = 0;
  for (const t of tasks) {
    const l = lanesFor(design, t.kind, cores, poolSize);
    if (l === null) return null;
    if (!lanes.some((x) => x.kind === t.kind)) lanes.push({ kind: t.kind, lanes: l });
    work += t.share * tasksPerClient * t.taskMs;
    if (Number.isFinite(l)) expected += (t.share * tasksPerClient * t.taskMs) / l;
  }
  return { perClientWorkMs: work, expectedSlopeMs: expected, lanes };
}

function fastestSegments(designs: readonly DesignAnalysis[], clients: readonly number[]): FastestSegment[] {
  const out: FastestSegment[] = [];
  for (const n of clients) {
    let best: { design: DesignLabel; ms: number } | null = null;
    for (const d of designs) {
      const ms = d.cells.find((c) => c.clients === n)?.medianTotalMs ?? null;
      if (ms !== null && (best === null || ms < best.ms)) best = { design: d.design, ms };
    }
    if (!best) continue;
    const prev = out[out.length - 1];
    if (prev && prev.design === best.design) out[out.length - 1] = { ...prev, toN: n };
    else out.push({ design: best.design, fromN: n, toN: n });
  }
  return out;
}

/** Analyses a combined dataset. `stopScalingFactor` is k in "stops scaling at the first N whose median ≥ k × the smallest N's". */
export function analyse(dataset: Dataset, stopScalingFactor: number): Analysis {
  const flags: RunFlag[] = [];
  const totals = { runs: 0, completeRuns: 0, saturatedRuns: 0, runsWithErrors: 0, errors: 0 };
  const workloads = dataset.workloads.map((workload): WorkloadAnalysis => {
    const cellsOfWorkload = dataset.cells.filter((c) => c.workload === workload.name).map(cellStats);
    const tasks = taskShares(workload, cellsOfWorkload);
    const designNames = dataset.designs.filter((d) => cellsOfWorkload.some((c) => c.design === d));
    const base = cellsOfWorkload.filter((c) => c.design === BASELINE_DESIGN);
    const designs = designNames.map((design): DesignAnalysis => {
      const cells = cellsOfWorkload.filter((c) => c.design === design);
      const speedUp: { clients: number; value: number }[] = [];
      for (const c of cells) {
        const b = base.find((x) => x.clients === c.clients)?.medianTotalMs ?? null;
        if (b !== null && c.medianTotalMs !== null && c.medianTotalMs > 0) speedUp.push({ clients: c.clients, value: b / c.medianTotalMs });
      }
      const fit = fitOf(cells, (c) => c.medianTotalMs);
      return {
        design,
        workload: workload.name,
        cells,
        fit,
        cpuFit: fitOf(cells, (c) => c.medianServerCpuMs),
        stop: stopScaling(cells, stopScalingFactor, fit),
        speedUp,
        model: costModel(design, tasks, dataset.tasksPerClient, dataset.cores, dataset.poolSize),
      };
    });
    const common = dataset.clients.filter((n) => designs.every((d) => d.cells.some((c) => c.clients === n && c.medianTotalMs !== null)));
    for (const c of cellsOfWorkload) {
      for (const r of c.runs) {
        totals.runs++;
        if (r.complete) totals.completeRuns++;
        if (r.saturated) totals.saturatedRuns++;
        if (r.errors.total > 0) totals.runsWithErrors++;
        totals.errors += r.errors.total;
        if (r.saturated || !r.complete || r.errors.total > 0 || r.failedClients > 0) {
          flags.push({
            workload: c.workload, design: c.design, clients: c.clients, run: r.label,
            saturated: r.saturated, incomplete: !r.complete, errors: r.errors, failedClients: r.failedClients, errorSamples: r.errorSamples,
          });
        }
      }
    }
    return { workload, tasks, designs, fastest: fastestSegments(designs, dataset.clients), compareN: common.length ? common[common.length - 1]! : null };
  });
  const missing: MissingCell[] = [];
  dataset.inputs.forEach((input, i) => {
    const c = input.results.config;
    for (const w of c.workloads) {
      for (const design of c.designs) {
        for (const clients of c.clients) {
          const has = input.results.cells.some((x) => x.workload === w.name && x.design === design && x.clients === clients && x.runs.some((r) => r.complete && r.totalMs !== null));
          if (!has) missing.push({ input: i, workload: w.name, design, clients });
        }
      }
    }
  });
  return { dataset, missing, workloads, flags, totals, stopScalingFactor };
}
