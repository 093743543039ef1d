import type { TopLevelSpec } from 'vega-lite';
import { DESIGNS, type DesignLabel } from '@socketlab/results';
import { BASELINE_DESIGN, type Analysis, type DesignAnalysis, type WorkloadAnalysis } from './analysis.ts';
import { num, times } from './format.ts';
import { byDesignOrder } from './load.ts';
import { TIMELINE_PHASES, timelineBars, timelineClients } from './timeline.ts';

/**
 * Vega-Lite specs of every chart, built from the analysis with the data inline (no fetches). Rendered
 * to SVG by svg.ts. Axis titles carry units; label limits are off because vega, without a canvas,
 * overestimates text widths and would truncate labels with "…" (/work/shared/TOOLCHAIN.md §6).
 */

/** One chart: its file name (without `.svg`), the alt text used in the Markdown, and its spec. */
export interface ChartDefinition {
  readonly name: string;
  readonly alt: string;
  readonly spec: TopLevelSpec;
  /** Symbols (points) the chart draws for runs; tests count them in the SVG. */
  readonly runPoints: number;
}

/** File-name prefixes of the report's charts (stale charts with these prefixes are removed from the folder). */
export const CHART_PREFIXES = Object.freeze(['total-time-', 'all-designs-', 'marginal-cost-', 'speed-up-', 'latency-', 'server-cpu-', 'server-memory-', 'timeline-']);

/**
 * A design's colour is fixed by its index in the design catalogue (DESIGNS in @socketlab/results), so it
 * is the same in every chart of every report whichever designs a sweep ran. The first nine are Tableau
 * 10's (without its grey), the colours the reports have always used for the first nine designs; then
 * four more, distinct from those. `external` and any label the catalogue does not know get
 * FALLBACK_COLOUR, a grey no design has. A catalogue larger than the palette would repeat colours: a
 * test fails first.
 */
export const DESIGN_PALETTE: readonly string[] = Object.freeze(['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#17becf', '#8c6d31', '#393b79', '#637939']);
/** The colour of `external` and of unknown designs (Tableau 10's grey). */
export const FALLBACK_COLOUR = '#bab0ac';

/** A design's colour, the same in every report. */
export function designColour(design: DesignLabel | string): string {
  const i = (DESIGNS as readonly string[]).indexOf(design);
  return i === -1 ? FALLBACK_COLOUR : DESIGN_PALETTE[i % DESIGN_PALETTE.length]!;
}
const RUN_COLOR = '#4c78a8';
const FLAGGED_COLOR = '#e45756';
const MEDIAN_COLOR = '#f58518';
const PERCENTILE_COLORS = { p50: '#4c78a8', p90: '#72b7b2', p99: '#f58518', max: '#e45756' } as const;

/**
 * Data for a mark drawn once, such as the rule at 1: a layer without data of its own gets none (the
 * top level has none when each layer brings its own), and vega then draws nothing at all.
 */
const ONE_ROW = { values: [{}] };

const WIDTH = 560; // px
const HEIGHT = 280; // px
const FACET_WIDTH = 230; // px, one latency panel
const FACET_HEIGHT = 150; // px

export const CONFIG = {
  font: 'sans-serif',
  legend: { labelLimit: 0, titleLimit: 0, labelFontSize: 11, titleFontSize: 11 },
  axis: { labelLimit: 0, titleLimit: 0, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  header: { labelLimit: 0, titleLimit: 0, labelFontSize: 12, labelFontWeight: 'bold' },
  title: { limit: 0, anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555555' },
  view: { stroke: '#dddddd' },
} as const;

/** Rounds to `digits` decimals, so chart data (and the SVG's aria labels) hold clean numbers. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Whether values this spread out want a log axis: max ÷ min ≥ `spread` (all positive). */
export function logScaleFor(values: readonly number[], spread: number): { log: boolean; ratio: number | null } {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0 || v.some((x) => x <= 0)) return { log: false, ratio: null };
  const ratio = Math.max(...v) / Math.min(...v);
  return { log: ratio >= spread, ratio };
}

export function subtitle(scale: { log: boolean; ratio: number | null }, extra?: string): string[] {
  const out: string[] = [];
  if (extra) out.push(extra);
  if (scale.log) out.push(`log scale: the values span ${times(scale.ratio!)}`);
  return out;
}

export function title(text: string, sub: string[]) {
  return sub.length ? { text, subtitle: sub } : { text };
}

function xClients(clients: readonly number[]) {
  const min = clients[0]!;
  const max = clients[clients.length - 1]!;
  return {
    field: 'clients',
    type: 'quantitative' as const,
    title: 'clients (N)',
    scale: { domain: min === max ? [min - 1, max + 1] : [min, max], nice: false, zero: false },
    axis: clients.length <= 12 ? { values: [...clients], format: 'd' } : { format: 'd', tickMinStep: 1 },
  };
}

export function yScale(log: boolean) {
  return log ? { type: 'log' as const } : { zero: true };
}

function designColor(_designs: readonly DesignLabel[], shown: readonly DesignLabel[]) {
  return {
    field: 'design',
    type: 'nominal' as const,
    title: 'design',
    sort: [...shown],
    scale: { domain: [...shown], range: shown.map(designColour) },
  };
}

/** Total time vs N for one design: every run a point, the median a line (the lesson's plots). */
function totalTimeChart(w: WorkloadAnalysis, d: DesignAnalysis, clients: readonly number[]): ChartDefinition {
  const points = d.cells.flatMap((c) =>
    c.runs
      .filter((r) => r.totalMs !== null)
      .map((r) => ({
        clients: c.clients,
        seconds: round(r.totalMs! / 1000, 6),
        run: r.label,
        series: r.saturated || r.noisy === true || r.errors.total > 0 || r.failedClients > 0 ? 'flagged run' : 'each run',
      })),
  );
  const medians = d.cells.filter((c) => c.medianTotalMs !== null).map((c) => ({ clients: c.clients, seconds: round(c.medianTotalMs! / 1000, 6), series: 'median' }));
  const series = ['each run', ...(points.some((p) => p.series === 'flagged run') ? ['flagged run'] : []), 'median'];
  const range = series.map((s) => (s === 'each run' ? RUN_COLOR : s === 'flagged run' ? FLAGGED_COLOR : MEDIAN_COLOR));
  // Always linear from 0, like the lesson's plots: the slope of the line is the point of the chart.
  const scale = { log: false, ratio: null };
  const color = { field: 'series', type: 'nominal' as const, title: null, sort: series, scale: { domain: series, range } };
  const x = xClients(clients);
  const y = { field: 'seconds', type: 'quantitative' as const, title: 'total time (s)', scale: yScale(scale.log) };
  const name = `total-time-${w.workload.name}-${d.design}`;
  const alt = `Total time vs clients, ${d.design}, ${w.workload.name}: each run and the median`;
  return {
    name,
    alt,
    runPoints: points.length,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      width: WIDTH,
      height: HEIGHT,
      title: title(`${d.design}: total time vs clients (${w.workload.name})`, subtitle(scale, `${w.workload.tasks.join(', ')}; each run is a point, the line joins the medians`)),
      layer: [
        { data: { values: medians }, mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color } },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 50, opacity: 0.8 },
          encoding: { x, y, color, tooltip: [{ field: 'run' }, { field: 'clients', title: 'N' }, { field: 'seconds', title: 'total time (s)', format: '.6f' }] },
        },
      ],
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** Every design's medians on one chart (log axis when the spread needs it). */
function allDesignsChart(a: Analysis, w: WorkloadAnalysis, spread: number): ChartDefinition {
  const rows = w.designs.flatMap((d) => d.cells.filter((c) => c.medianTotalMs !== null).map((c) => ({ design: d.design, clients: c.clients, seconds: round(c.medianTotalMs! / 1000, 6) })));
  const scale = logScaleFor(rows.map((r) => r.seconds), spread);
  const shown = w.designs.map((d) => d.design);
  const alt = `Median total time vs clients, every design, ${w.workload.name}`;
  return {
    name: `all-designs-${w.workload.name}`,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      width: WIDTH,
      height: HEIGHT + 40,
      title: title(`All designs: median total time vs clients (${w.workload.name})`, subtitle(scale, w.workload.tasks.join(', '))),
      data: { values: rows },
      mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
      encoding: {
        x: xClients(a.dataset.clients),
        y: { field: 'seconds', type: 'quantitative', title: 'median total time (s)', scale: yScale(scale.log) },
        color: designColor(a.dataset.designs, shown),
        tooltip: [{ field: 'design' }, { field: 'clients', title: 'N' }, { field: 'seconds', title: 'median (s)', format: '.6f' }],
      },
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** Marginal cost per extra client: the fitted slope (bar) and the cost model's prediction (tick). */
function marginalCostChart(w: WorkloadAnalysis): ChartDefinition | null {
  const fitted = w.designs.filter((d) => d.fit !== null);
  if (fitted.length === 0) return null;
  const bars = fitted.map((d) => ({ design: d.design, ms: round(d.fit!.slope, 3), what: 'measured (least-squares slope)', label: `${num(d.fit!.slope)} ms` }));
  const ticks = fitted.filter((d) => d.model !== null).map((d) => ({ design: d.design, ms: round(d.model!.expectedSlopeMs, 3), what: 'predicted by the cost model' }));
  const whats = ['measured (least-squares slope)', ...(ticks.length ? ['predicted by the cost model'] : [])];
  const color = { field: 'what', type: 'nominal' as const, title: null, sort: whats, scale: { domain: whats, range: ['#4c78a8', '#222222'].slice(0, whats.length) } };
  const y = { field: 'design', type: 'nominal' as const, title: null, sort: fitted.map((d) => d.design) };
  const x = { field: 'ms', type: 'quantitative' as const, title: 'marginal cost (ms per extra client)' };
  const alt = `Marginal cost per extra client by design, ${w.workload.name}`;
  return {
    name: `marginal-cost-${w.workload.name}`,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      width: WIDTH,
      height: { step: 34 },
      title: title(`Marginal cost per extra client (${w.workload.name})`, ['slope of the least-squares line through the median total times; tick: the cost model\'s prediction']),
      layer: [
        { data: { values: bars }, mark: { type: 'bar', height: { band: 0.6 } }, encoding: { y, x, color } },
        { data: { values: bars }, mark: { type: 'text', align: 'left', dx: 6, fontSize: 11 }, encoding: { y, x, text: { field: 'label' } } },
        ...(ticks.length ? [{ data: { values: ticks }, mark: { type: 'tick' as const, thickness: 3, bandSize: 26 }, encoding: { y, x, color } }] : []),
      ],
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** Speed-up over the iterative server vs N. */
function speedUpChart(a: Analysis, w: WorkloadAnalysis, spread: number): ChartDefinition | null {
  if (!w.designs.some((d) => d.design === BASELINE_DESIGN)) return null;
  const others = w.designs.filter((d) => d.design !== BASELINE_DESIGN && d.speedUp.length > 0);
  if (others.length === 0) return null;
  const rows = others.flatMap((d) => d.speedUp.map((s) => ({ design: d.design, clients: s.clients, speedup: round(s.value, 3) })));
  const scale = logScaleFor([...rows.map((r) => r.speedup), 1], spread);
  const alt = `Speed-up over ${BASELINE_DESIGN} vs clients, ${w.workload.name}`;
  const x = xClients(a.dataset.clients);
  const y = { field: 'speedup', type: 'quantitative' as const, title: `speed-up over ${BASELINE_DESIGN} (×)`, scale: yScale(scale.log) };
  return {
    name: `speed-up-${w.workload.name}`,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      width: WIDTH,
      height: HEIGHT,
      title: title(`Speed-up over the single-process (iterative) server (${w.workload.name})`, subtitle(scale, 'median of single-iterative ÷ median of the design, at each N; the grey line marks 1× (no gain)')),
      layer: [
        { data: ONE_ROW, mark: { type: 'rule', color: '#888888', strokeDash: [4, 4] }, encoding: { y: { datum: 1 } } },
        {
          data: { values: rows },
          mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
          encoding: { x, y, color: designColor(a.dataset.designs, others.map((d) => d.design)), tooltip: [{ field: 'design' }, { field: 'clients', title: 'N' }, { field: 'speedup', title: 'speed-up (×)', format: '.2f' }] },
        },
      ],
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** Task latency percentiles vs N, one panel per design. */
function latencyChart(a: Analysis, w: WorkloadAnalysis, spread: number): ChartDefinition | null {
  const rows = w.designs.flatMap((d) =>
    d.cells.flatMap((c) =>
      c.latency === null
        ? []
        : [
            { design: d.design, clients: c.clients, percentile: 'p50', ms: round(c.latency.p50Ms, 3) },
            { design: d.design, clients: c.clients, percentile: 'p90', ms: round(c.latency.p90Ms, 3) },
            { design: d.design, clients: c.clients, percentile: 'p99', ms: round(c.latency.p99Ms, 3) },
            { design: d.design, clients: c.clients, percentile: 'max', ms: round(c.latency.maxMs, 3) },
          ],
    ),
  );
  if (rows.length === 0) return null;
  const scale = logScaleFor(rows.map((r) => r.ms), spread);
  const shown = w.designs.filter((d) => d.cells.some((c) => c.latency !== null)).map((d) => d.design);
  const pct = ['p50', 'p90', 'p99', 'max'];
  const alt = `Task latency percentiles vs clients, per design, ${w.workload.name}`;
  return {
    name: `latency-${w.workload.name}`,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      title: title(`Task latency percentiles vs clients (${w.workload.name})`, subtitle(scale, 'request written → reply received, per task, from the runs\' HDR histograms added together')),
      data: { values: rows },
      facet: { field: 'design', type: 'nominal', sort: shown, title: null },
      columns: Math.min(3, shown.length),
      spec: {
        width: FACET_WIDTH,
        height: FACET_HEIGHT,
        mark: { type: 'line', point: { filled: true, size: 25 }, strokeWidth: 1.5 },
        encoding: {
          x: { ...xClients(a.dataset.clients), axis: { format: 'd', tickCount: 5 } },
          y: { field: 'ms', type: 'quantitative', title: 'task latency (ms)', scale: yScale(scale.log) },
          color: { field: 'percentile', type: 'nominal', title: 'percentile', sort: pct, scale: { domain: pct, range: pct.map((p) => PERCENTILE_COLORS[p as keyof typeof PERCENTILE_COLORS]) } },
          // max is dashed: with few tasks it often equals p99 and would hide it.
          strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile', sort: pct, scale: { domain: pct, range: [[1, 0], [1, 0], [1, 0], [5, 3]] } },
          tooltip: [{ field: 'design' }, { field: 'clients', title: 'N' }, { field: 'percentile' }, { field: 'ms', title: 'latency (ms)', format: '.3f' }],
        },
      },
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** A per-design metric's median vs N (server CPU or memory). */
function serverChart(a: Analysis, w: WorkloadAnalysis, spread: number, kind: 'cpu' | 'memory'): ChartDefinition | null {
  const rows = w.designs.flatMap((d) =>
    d.cells.flatMap((c) => {
      const v = kind === 'cpu' ? c.medianServerCpuMs : c.medianServerPeakRssBytes === null ? null : c.medianServerPeakRssBytes / 1024 / 1024;
      return v === null ? [] : [{ design: d.design, clients: c.clients, value: round(v, 3) }];
    }),
  );
  if (rows.length === 0) return null;
  const scale = logScaleFor(rows.map((r) => r.value), spread);
  const shown = w.designs.filter((d) => rows.some((r) => r.design === d.design)).map((d) => d.design);
  const label = kind === 'cpu' ? 'server CPU per run (ms, median)' : 'server peak RSS (MiB, median)';
  const what = kind === 'cpu' ? 'Server CPU' : 'Server memory';
  const note = kind === 'cpu' ? 'user + system CPU of the server\'s whole process tree during a run (/proc)' : 'highest summed RSS of the server\'s process tree during a run (/proc)';
  const alt = `${what} vs clients, every design, ${w.workload.name}`;
  return {
    name: `server-${kind}-${w.workload.name}`,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      width: WIDTH,
      height: HEIGHT,
      title: title(`${what} vs clients (${w.workload.name})`, subtitle(scale, note)),
      data: { values: rows },
      mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
      encoding: {
        x: xClients(a.dataset.clients),
        y: { field: 'value', type: 'quantitative', title: label, scale: yScale(scale.log) },
        color: designColor(a.dataset.designs, shown),
        tooltip: [{ field: 'design' }, { field: 'clients', title: 'N' }, { field: 'value', title: label, format: '.1f' }],
      },
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** Colours of the timeline's phases: waiting stands out, service is the design's work. */
const PHASE_COLOURS: Readonly<Record<(typeof TIMELINE_PHASES)[number], string>> = { connecting: '#bab0ac', waiting: '#f2cf5b', service: '#4c78a8', goodbye: '#54a24b' };
const TIMELINE_ROW_PX = 9; // px per client row

/** The lesson's figures 1–4 from data: one row per client of each design's median run at one N (see timeline.ts). */
function timelineChart(a: Analysis, w: WorkloadAnalysis): ChartDefinition | null {
  const bars = timelineBars(a, w);
  if (bars.length === 0) return null;
  const n = timelineClients(a.dataset.clients)!;
  const shown = w.designs.map((d) => d.design).filter((d) => bars.some((b) => b.design === d));
  const alt = `Timeline of each client at N = ${n}, per design, ${w.workload.name}`;
  const phases = [...TIMELINE_PHASES];
  return {
    name: `timeline-${w.workload.name}`,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      title: title(`What each client did, N = ${n} (${w.workload.name})`, ['the median run of each design; one row per client, in the order they were served; service start inferred (reply − task time)']),
      data: { values: bars.map((b) => ({ ...b, fromS: round(b.fromMs / 1000, 6), toS: round(b.toMs / 1000, 6) })) },
      facet: { row: { field: 'design', type: 'nominal', sort: shown, title: null, header: { labelAngle: 0, labelAlign: 'left', labelOrient: 'top' } } },
      spec: {
        width: WIDTH,
        height: n * TIMELINE_ROW_PX,
        mark: { type: 'bar', height: TIMELINE_ROW_PX - 2 },
        encoding: {
          x: { field: 'fromS', type: 'quantitative', title: 'time since the release (s)' },
          x2: { field: 'toS' },
          y: { field: 'order', type: 'ordinal', title: 'client', axis: { labels: false, ticks: false } },
          color: { field: 'phase', type: 'nominal', title: 'phase', sort: phases, scale: { domain: phases, range: phases.map((p) => PHASE_COLOURS[p]) } },
          tooltip: [{ field: 'design' }, { field: 'order', title: 'served #' }, { field: 'phase' }, { field: 'fromMs', title: 'from (ms)', format: '.1f' }, { field: 'toMs', title: 'to (ms)', format: '.1f' }],
        },
      },
      resolve: { scale: { y: 'independent' } },
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** The charts of one workload, in the order the report shows them (grouped by section). */
export interface WorkloadCharts {
  readonly allDesigns: ChartDefinition;
  readonly marginalCost: ChartDefinition | null;
  readonly speedUp: ChartDefinition | null;
  readonly perDesign: readonly ChartDefinition[];
  readonly latency: ChartDefinition | null;
  readonly serverCpu: ChartDefinition | null;
  readonly serverMemory: ChartDefinition | null;
  readonly timeline: ChartDefinition | null;
}

/** Every chart of one workload. */
export function workloadCharts(a: Analysis, w: WorkloadAnalysis, logScaleSpread: number): WorkloadCharts {
  return {
    allDesigns: allDesignsChart(a, w, logScaleSpread),
    marginalCost: marginalCostChart(w),
    speedUp: speedUpChart(a, w, logScaleSpread),
    perDesign: w.designs.map((d) => totalTimeChart(w, d, a.dataset.clients)),
    latency: latencyChart(a, w, logScaleSpread),
    serverCpu: serverChart(a, w, logScaleSpread, 'cpu'),
    serverMemory: serverChart(a, w, logScaleSpread, 'memory'),
    timeline: timelineChart(a, w),
  };
}

/** All charts of a workload as a flat list (file order). */
export function chartList(c: WorkloadCharts): ChartDefinition[] {
  return [c.allDesigns, c.marginalCost, c.speedUp, ...c.perDesign, c.timeline, c.latency, c.serverCpu, c.serverMemory].filter((x): x is ChartDefinition => x !== null);
}

/** One point of the compare chart: NEW ÷ BASE of a cell's median total time. */
export interface RatioPoint {
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
  readonly ratio: number;
}

/**
 * The compare page's one chart: NEW ÷ BASE of the median total time vs N, a line per design (its usual
 * colour), a dash pattern per workload when there are several, and a grey rule at 1 (no change).
 */
export function compareRatioChart(points: readonly RatioPoint[], name: string): ChartDefinition {
  const rows = points.map((p) => ({ workload: p.workload, design: p.design, clients: p.clients, ratio: round(p.ratio, 4), series: `${p.design} × ${p.workload}` }));
  const designs = [...new Set(points.map((p) => p.design))].sort(byDesignOrder);
  const workloads = [...new Set(points.map((p) => p.workload))];
  const clients = [...new Set(points.map((p) => p.clients))].sort((a, b) => a - b);
  const x = xClients(clients);
  const y = { field: 'ratio', type: 'quantitative' as const, title: 'NEW ÷ BASE, median total time (×)', scale: { zero: false } };
  const dashes = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3]];
  const alt = 'NEW ÷ BASE of the median total time vs clients, per design';
  return {
    name,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      width: WIDTH,
      height: HEIGHT,
      title: title('NEW ÷ BASE: median total time vs clients', ['above the grey line NEW took longer; below it NEW finished sooner (the verdicts are in the tables)']),
      layer: [
        { data: ONE_ROW, mark: { type: 'rule', color: '#888888', strokeDash: [4, 4] }, encoding: { y: { datum: 1 } } },
        {
          data: { values: rows },
          mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
          encoding: {
            x,
            y,
            color: designColor(designs, designs),
            // One line per design and workload; the dash tells the workloads apart when there are several.
            detail: { field: 'series', type: 'nominal' },
            ...(workloads.length > 1
              ? { strokeDash: { field: 'workload', type: 'nominal' as const, title: 'workload', sort: workloads, scale: { domain: workloads, range: workloads.map((_, i) => dashes[i % dashes.length]!) } } }
              : {}),
            tooltip: [{ field: 'design' }, { field: 'workload' }, { field: 'clients', title: 'N' }, { field: 'ratio', title: 'NEW ÷ BASE', format: '.3f' }],
          },
        },
      ],
      config: CONFIG,
    } as TopLevelSpec,
  };
}
