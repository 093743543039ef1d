import { isBuiltIn, isPool, median, summarizeLatency, type DesignLabel, type ErrorCounts, type LatencySummary, type WorkloadDefinition } from '@socketlab/results';
import { compareRuns, type Comparison } from '@socketlab/results';
import type { DataCell, Dataset } from './load.ts';
import { analyseOpen, type OpenAnalysis } from './open-analysis.ts';

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
  /** Other processes used more of the machine than loadgen's noise threshold; null if not recorded (files before loadgen 0.3). */
  readonly noisy: boolean | null;
  /** Their share of the machine's CPU during the run (0–1); null if not recorded. */
  readonly foreignCpuShare: number | null;
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
  /** Total times of the clean runs (complete, no client error), ms: what comparisons are decided on. */
  readonly cleanTotalsMs: readonly number[];
  /** Some run of the cell was noisy: rankings that rest on it are withheld. */
  readonly noisy: boolean;
  /** Every run of the cell recorded its foreign CPU. */
  readonly noiseRecorded: boolean;
}

/** A least-squares line y = slope × x + intercept. */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** Coefficient of determination; null when every y is the same (nothing to explain) or from fewer than 3 points (a line through 2 points always fits). */
  readonly r2: number | null;
  readonly points: number;
}

/**
 * How a design's median total time grows with N, by elasticity: Δln(total) ÷ Δln(N). 0 = flat (the
 * design absorbs extra clients), 1 = proportional to N (serial, or waves of a fixed size), > 1 = worse.
 */
export interface Scaling {
  /** Slope of ln(median) against ln(N) over every N with a median (least squares); null with fewer than 3. */
  readonly elasticity: number | null;
  /** `flat` < SCALING_RULE.flatBelow ≤ `sublinear` < SCALING_RULE.proportionalFrom ≤ `proportional` < SCALING_RULE.superlinearFrom ≤ `superlinear`; null with fewer than 3 N. */
  readonly kind: 'flat' | 'sublinear' | 'proportional' | 'superlinear' | null;
  /** The knee: the first N whose local elasticity (from the N before) reaches kneeElasticity after every earlier step stayed below it; null if none. */
  readonly kneeN: number | null;
  /** The local elasticities, one per step between neighbouring N with medians. */
  readonly steps: readonly { readonly fromN: number; readonly toN: number; readonly elasticity: number }[];
  readonly kneeElasticity: number;
  readonly baseN: number;
  readonly maxN: number;
  /** Median at maxN ÷ median at baseN. */
  readonly ratioAtMax: number;
}

/** Where the elasticity classes start. */
export const SCALING_RULE = Object.freeze({ flatBelow: 0.2, proportionalFrom: 0.8, superlinearFrom: 1.2 });

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
  readonly scaling: Scaling | null;
  /** Median of the baseline design ÷ this design's median, at each N both have. */
  readonly speedUp: readonly { readonly clients: number; readonly value: number }[];
  /** Null for an external server or a user's own (its design is unknown). */
  readonly model: CostModel | null;
}

/**
 * A run of consecutive N with the same verdict on the fastest design: a design faster than every other
 * by the comparison rule (@socketlab/results, compare-rule.ts), or none (`design` null): `tie` when the rule cannot separate
 * the best from another design, `noisy` when a cell at that N had a noisy run (the ranking is withheld).
 */
export interface FastestSegment {
  readonly design: DesignLabel | null;
  readonly why: 'faster' | 'tie' | 'noisy';
  /** With `tie`: the designs the rule could not separate from the one with the lowest median (that one first). */
  readonly tied: readonly DesignLabel[];
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
  /** Foreign CPU share of a noisy run; null if the run was not noisy (or noise was not recorded). */
  readonly noisyShare: number | null;
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
  /** Runs, complete runs, saturated runs, runs with errors, errors, noisy runs, runs that recorded noise, over every cell. */
  readonly totals: { readonly runs: number; readonly completeRuns: number; readonly saturatedRuns: number; readonly runsWithErrors: number; readonly errors: number; readonly noisyRuns: number; readonly noiseRecordedRuns: number };
  /** Cells with a noisy run, in workload, design, N order. */
  readonly noisyCells: readonly CellStats[];
  readonly kneeElasticity: number;
  /** The open model's cells (open-analysis.ts); null when the data has none. */
  readonly open: OpenAnalysis | null;
}

/** Least-squares fit; null with fewer than 2 distinct x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2 || new Set(xs.slice(0, n)).size < 2) return null;
  // A line through 2 points fits them exactly: an R² of 1 from 2 points says nothing.
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
  return { slope, intercept, r2: syy === 0 || n < 3 ? null : 1 - sse / syy, points: n };
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
 * Null for an external server or a user's own (--server), whose design loadgen does not know.
 */
export function lanesFor(design: DesignLabel, kind: TaskKind, cores: number, poolSize: number): number | null {
  if (!isBuiltIn(design)) return null;
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
    noisy: s.run.noise === undefined ? null : s.run.noise.noisy,
    foreignCpuShare: s.run.noise?.foreignCpuShare ?? null,
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
    cleanTotalsMs: runs.filter((r) => r.complete && r.totalMs !== null && r.errors.total === 0).map((r) => r.totalMs!),
    noisy: runs.some((r) => r.noisy === true),
    noiseRecorded: runs.every((r) => r.noisy !== null),
  };
}

/** Compares two cells' clean runs by the comparison rule. */
export function compareCells(a: CellStats, b: CellStats): Comparison {
  return compareRuns(a.cleanTotalsMs, b.cleanTotalsMs);
}

function scalingOf(cells: readonly CellStats[], kneeElasticity: number): Scaling | null {
  const withMedian = cells.filter((c) => c.medianTotalMs !== null && c.medianTotalMs > 0);
  if (withMedian.length === 0) return null;
  const base = withMedian[0]!;
  const last = withMedian[withMedian.length - 1]!;
  const steps = withMedian.slice(1).map((c, i) => {
    const prev = withMedian[i]!;
    return { fromN: prev.clients, toN: c.clients, elasticity: Math.log(c.medianTotalMs! / prev.medianTotalMs!) / Math.log(c.clients / prev.clients) };
  });
  const fit = withMedian.length >= 3 ? linearFit(withMedian.map((c) => Math.log(c.clients)), withMedian.map((c) => Math.log(c.medianTotalMs!))) : null;
  const e = fit?.slope ?? null;
  const r = SCALING_RULE;
  const kind = e === null ? null : e < r.flatBelow ? 'flat' : e < r.proportionalFrom ? 'sublinear' : e < r.superlinearFrom ? 'proportional' : 'superlinear';
  // A knee needs a flat stretch before it: a curve steep from its first step has no knee, it is steep throughout.
  const at = steps.findIndex((s) => s.elasticity >= kneeElasticity);
  return {
    elasticity: e,
    kind,
    kneeN: at > 0 ? steps[at]!.toN : null,
    steps,
    kneeElasticity,
    baseN: base.clients,
    maxN: last.clients,
    ratioAtMax: last.medianTotalMs! / base.medianTotalMs!,
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

/** The verdict on the fastest design at N (see FastestSegment). */
function fastestAt(designs: readonly DesignAnalysis[], n: number): Omit<FastestSegment, 'fromN' | 'toN'> | null {
  const cells = designs.map((d) => d.cells.find((c) => c.clients === n)).filter((c): c is CellStats => c !== undefined && c.medianTotalMs !== null);
  if (cells.length === 0) return null;
  const sorted = [...cells].sort((x, y) => x.medianTotalMs! - y.medianTotalMs!);
  const best = sorted[0]!;
  if (cells.some((c) => c.noisy)) return { design: null, why: 'noisy', tied: [] };
  if (sorted.length === 1) return { design: best.design, why: 'faster', tied: [] };
  const tied = sorted.slice(1).filter((c) => compareCells(best, c).verdict !== 'faster').map((c) => c.design);
  return tied.length === 0 ? { design: best.design, why: 'faster', tied: [] } : { design: null, why: 'tie', tied: [best.design, ...tied] };
}

function fastestSegments(designs: readonly DesignAnalysis[], clients: readonly number[]): FastestSegment[] {
  const out: FastestSegment[] = [];
  for (const n of clients) {
    const v = fastestAt(designs, n);
    if (!v) continue;
    const prev = out[out.length - 1];
    if (prev && prev.design === v.design && prev.why === v.why && prev.tied.join() === v.tied.join()) out[out.length - 1] = { ...prev, toN: n };
    else out.push({ ...v, fromN: n, toN: n });
  }
  return out;
}

/** Analyses a combined dataset. `kneeElasticity`: the knee rule's threshold (see Scaling). */
export function analyse(dataset: Dataset, kneeElasticity: number): Analysis {
  const flags: RunFlag[] = [];
  const totals = { runs: 0, completeRuns: 0, saturatedRuns: 0, runsWithErrors: 0, errors: 0, noisyRuns: 0, noiseRecordedRuns: 0 };
  const noisyCells: CellStats[] = [];
  // With open-model cells, a workload gets a closed-model section only if it has closed cells.
  const closedWorkloads = dataset.openCells.length === 0 ? dataset.workloads : dataset.workloads.filter((w) => dataset.cells.some((c) => c.workload === w.name));
  const workloads = closedWorkloads.map((workload): WorkloadAnalysis => {
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
      return {
        design,
        workload: workload.name,
        cells,
        fit: fitOf(cells, (c) => c.medianTotalMs),
        cpuFit: fitOf(cells, (c) => c.medianServerCpuMs),
        scaling: scalingOf(cells, kneeElasticity),
        speedUp,
        model: costModel(design, tasks, dataset.tasksPerClient, dataset.cores, dataset.poolSize),
      };
    });
    for (const d of designs) noisyCells.push(...d.cells.filter((c) => c.noisy));
    const common = dataset.clients.filter((n) => designs.every((d) => d.cells.some((c) => c.clients === n && c.medianTotalMs !== null)));
    for (const c of cellsOfWorkload) {
      for (const r of c.runs) {
        totals.runs++;
        if (r.complete) totals.completeRuns++;
        if (r.saturated) totals.saturatedRuns++;
        if (r.errors.total > 0) totals.runsWithErrors++;
        totals.errors += r.errors.total;
        if (r.noisy) totals.noisyRuns++;
        if (r.noisy !== null) totals.noiseRecordedRuns++;
        if (r.saturated || r.noisy === true || !r.complete || r.errors.total > 0 || r.failedClients > 0) {
          flags.push({
            workload: c.workload, design: c.design, clients: c.clients, run: r.label,
            saturated: r.saturated, noisyShare: r.noisy === true ? r.foreignCpuShare : null, incomplete: !r.complete, errors: r.errors, failedClients: r.failedClients, errorSamples: r.errorSamples,
          });
        }
      }
    }
    return { workload, tasks, designs, fastest: fastestSegments(designs, dataset.clients), compareN: common.length ? common[common.length - 1]! : null };
  });
  const missing: MissingCell[] = [];
  dataset.inputs.forEach((input, i) => {
    const c = input.results.config;
    if (c.model === 'open') return; // its cells are rates, not N (see open-analysis.ts)
    for (const w of c.workloads) {
      for (const design of c.designs) {
        for (const clients of c.clients) {
          const has = input.results.cells.some((x) => x.workload === w.name && x.design === design && x.clients === clients && x.runs.some((r) => r.complete && r.totalMs !== null));
          if (!has) missing.push({ input: i, workload: w.name, design, clients });
        }
      }
    }
  });
  const open = analyseOpen(dataset, workloads.flatMap((w) => w.designs.flatMap((d) => d.cells)));
  return { dataset, missing, workloads, flags, totals, noisyCells, kneeElasticity, open };
}
