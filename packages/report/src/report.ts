import { basename, dirname, resolve } from 'node:path';
import { analyse, type Analysis } from './analysis.ts';
import { workloadCharts } from './charts.ts';
import { renderHtml } from './html.ts';
import { RUNS_CSV_NAME, runsCsv } from './csv.ts';
import { combineInputs, readInput, type LoadedInput } from './load.ts';
import { allCharts, defaultTitle, renderMarkdown } from './markdown/index.ts';
import { resolveContentOptions, resolveInputs, resolveReportOptions, type ReportOptions } from './options.ts';
import { renderSvg } from './svg.ts';
import { latencyThroughputChart } from './open-charts.ts';
import { writeReportFolder } from './out-dir.ts';

/** One rendered chart. */
export interface RenderedChart {
  /** File name, e.g. `all-designs-sleep.svg`. */
  readonly file: string;
  readonly alt: string;
  readonly svg: string;
  /** Points drawn for runs (one per run with a total time; 0 for charts of medians). */
  readonly runPoints: number;
}

/** A report in memory: nothing written yet. */
export interface RenderedReport {
  readonly title: string;
  readonly analysis: Analysis;
  readonly markdown: string;
  readonly html: string;
  readonly charts: readonly RenderedChart[];
  /** Every file of the report folder except the input copies: README.md, index.html, runs.csv, the SVGs. File name → content. */
  readonly files: ReadonlyMap<string, string>;
}

/** What buildReport() did. */
export interface ReportResult extends RenderedReport {
  /** The folder written. */
  readonly outDir: string;
  /** The input files read, absolute. */
  readonly inputPaths: readonly string[];
  /** Files written or already up to date (names within outDir), input copies included. */
  readonly written: readonly string[];
  /** Files an earlier report wrote into outDir that this one does not (charts of an earlier report, extra input copies). */
  readonly removed: readonly string[];
}

/** Options of renderReport(): the ones that shape the content. */
export type RenderOptions = Pick<ReportOptions, 'title' | 'kneeElasticity' | 'logScaleSpread'>;

/**
 * Renders a report from loaded inputs, in memory. Pure apart from CPU: the same inputs and options
 * always give the same bytes.
 */
export async function renderReport(inputs: readonly LoadedInput[], options: RenderOptions = {}): Promise<RenderedReport> {
  const o = resolveContentOptions(options);
  const dataset = combineInputs(inputs);
  const analysis = analyse(dataset, o.kneeElasticity);
  const title = o.title ?? defaultTitle(inputs);
  const perWorkload = analysis.workloads.map((w) => workloadCharts(analysis, w, o.logScaleSpread));
  const charts: RenderedChart[] = [];
  // One at a time: vega views are cheap, and sequential rendering keeps memory flat.
  const openCharts = (analysis.open?.workloads ?? []).map((w) => latencyThroughputChart(w, o.logScaleSpread));
  for (const c of [...allCharts(perWorkload), ...openCharts.filter((x) => x !== null)]) {
    charts.push({ file: `${c.name}.svg`, alt: c.alt, svg: await renderSvg(c.spec, c.name), runPoints: c.runPoints });
  }
  const markdown = renderMarkdown(analysis, { title, charts: perWorkload, kneeElasticity: o.kneeElasticity, logScaleSpread: o.logScaleSpread, openCharts });
  const svgs = new Map(charts.map((c) => [c.file, c.svg]));
  const html = renderHtml(markdown, title, svgs, new Set(['README.md', RUNS_CSV_NAME, ...inputs.map((i) => i.name)]));
  const files = new Map<string, string>([['README.md', markdown], ['index.html', html], [RUNS_CSV_NAME, runsCsv(dataset)], ...charts.map((c): [string, string] => [c.file, c.svg])]);
  return { title, analysis, markdown, html, charts, files };
}

/**
 * Reads the inputs (validated against loadgen's schema), renders the report and writes it to the
 * report folder: README.md, index.html, one SVG per chart, and a copy of each input (`sweep.json`, …)
 * unless `copyInputs` is false. The folder must be empty or one the report wrote (its manifest,
 * `.socketlab-report.json`), unless `force`; files an earlier report wrote that this one does not are
 * removed, and no other file ever is (see writeReportFolder).
 */
export async function buildReport(options: ReportOptions = {}): Promise<ReportResult> {
  const o = resolveReportOptions(options);
  const paths = resolveInputs(o).map((p) => resolve(o.cwd, p));
  const inputs = paths.map((p, i) => readInput(p, i, p));
  const report = await renderReport(inputs, { title: o.title, kneeElasticity: o.kneeElasticity, logScaleSpread: o.logScaleSpread });
  const files = new Map(report.files);
  if (o.copyInputs) for (const input of inputs) files.set(input.name, input.text);
  // Never remove a file this report was built from, even one an earlier report wrote.
  const keep = new Set(paths.filter((p) => dirname(p) === o.outDir).map((p) => basename(p)));
  const { written, removed } = writeReportFolder(o.outDir, files, { keep, force: o.force, flag: '--out' });
  return { ...report, outDir: o.outDir, inputPaths: paths, written, removed };
}
