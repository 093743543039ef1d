import { basename, dirname, join, resolve, sep } from 'node:path';
import { InvalidOptionError, checkBoolean, checkKnownKeys, checkString, deepFreeze } from '@socketlab/protocol';
import { findWorkspaceRoot, type Environment, type ResolvedSweepConfig } from '@socketlab/results';
import { analyse, compareCells, type CellStats } from './analysis.ts';
import { compareRatioChart, type RatioPoint } from './charts.ts';
import { renderCompareMarkdown } from './compare-markdown.ts';
import type { CellComparison, CellKey, Difference, SweepComparison } from './comparison.ts';
import { gib } from './format.ts';
import { renderHtml } from './html.ts';
import { byDesignOrder, combineInputs, readInput, type LoadedInput } from './load.ts';
import { DEFAULT_REPORT_OPTIONS } from './options.ts';
import { writeReportFolder } from './out-dir.ts';
import { renderSvg } from './svg.ts';

/**
 * `socketlab-report compare BASE NEW`: how a sweep (NEW) differs from another (BASE), cell by cell. For
 * every design × workload × N in both files: NEW ÷ BASE of the median total time, the p99 task latency
 * and the server's CPU, and a verdict (NEW faster, slower or tie) by the report's one comparison rule
 * (@socketlab/results, compare-rule.ts), withheld where a run of either cell was noisy, as in the report. Written as a
 * Markdown page, an HTML page and one chart.
 */

/** Options of compareSweeps(); `base` and `new` are required. */
export interface CompareOptions {
  /** The BASE loadgen results file (relative to `cwd`). */
  base: string;
  /** The NEW loadgen results file, compared with BASE. */
  new: string;
  /** Folder written (created if needed). Default: `<workspace root>/results/compare` (git-ignored), or `./compare` outside the socketlab workspace. */
  outDir?: string;
  /** Base of relative paths and of the workspace-root search. Default: process.cwd(). */
  cwd?: string;
  /** First heading. Default: `socketlab compare: <NEW file> vs <BASE file>`. */
  title?: string | null;
  /**
   * A regression threshold, as a fraction: a cell whose verdict is "slower" with NEW ÷ BASE of the median
   * total time above 1 + this is a regression, and `regressions` lists it (the CLI then exits 4). 0.1 =
   * 10 %. Unitless, 0–10. Default: null (no threshold: nothing is a regression).
   */
  failOnRegression?: number | null;
  /** Write into `outDir` even when it holds files compare did not write (see ReportOptions.force). Default: false. */
  force?: boolean;
}

export interface ResolvedCompareOptions {
  readonly base: string;
  readonly new: string;
  readonly outDir: string;
  readonly cwd: string;
  readonly title: string | null;
  readonly failOnRegression: number | null;
  readonly force: boolean;
}

/** Defaults, with units. */
export const DEFAULT_COMPARE_OPTIONS = Object.freeze({
  outDirInWorkspace: 'results/compare', // relative to the workspace root: git-ignored, beside loadgen's results
  outDirElsewhere: 'compare', // relative to cwd, outside the socketlab workspace
  title: null as string | null, // derived from the file names
  failOnRegression: null as number | null, // fraction; null = never a regression
  maxRegression: 10, // largest threshold accepted (1000 %)
});

const KEYS = ['base', 'new', 'outDir', 'cwd', 'title', 'failOnRegression', 'force'] as const;

/** Validates the options (messages name the option) and fills in the defaults; paths become absolute. */
export function resolveCompareOptions(options: CompareOptions): ResolvedCompareOptions {
  const given = checkKnownKeys('options', options, KEYS);
  const d = DEFAULT_COMPARE_OPTIONS;
  const cwd = given.cwd === undefined ? process.cwd() : resolve(checkString('cwd', given.cwd));
  const root = findWorkspaceRoot(cwd);
  const threshold = given.failOnRegression ?? null;
  if (threshold !== null && (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > d.maxRegression)) {
    throw new InvalidOptionError(`failOnRegression must be a fraction >= 0 and <= ${d.maxRegression} (0.1 = 10 %) or null (got ${typeof threshold === 'number' ? threshold : typeof threshold})`);
  }
  return deepFreeze({
    base: resolve(cwd, checkString('base', given.base)),
    new: resolve(cwd, checkString('new', given.new)),
    outDir: given.outDir === undefined ? (root === null ? resolve(cwd, d.outDirElsewhere) : join(root, d.outDirInWorkspace)) : resolve(cwd, checkString('outDir', given.outDir)),
    cwd,
    title: given.title === undefined || given.title === null ? null : checkString('title', given.title),
    failOnRegression: threshold as number | null,
    force: given.force === undefined ? false : checkBoolean('force', given.force),
  });
}

const MACHINE: readonly (readonly [string, (e: Environment) => string])[] = [
  ['CPU model', (e) => e.cpuModel],
  ['cores available', (e) => String(e.cores)],
  ['logical CPUs', (e) => String(e.logicalCpus)],
  ['memory', (e) => gib(e.totalMemoryBytes)],
  ['OS', (e) => `${e.platform} ${e.arch}`],
  ['kernel', (e) => e.osRelease],
  ['Node.js', (e) => e.node],
];

const CONFIG: readonly (readonly [string, (c: ResolvedSweepConfig) => string])[] = [
  ['timeScale', (c) => String(c.timeScale)],
  ['workloads', (c) => c.workloads.map((w) => `${w.name} (${w.tasks.join(', ')})`).join('; ')],
  ['runs per N', (c) => String(c.runs)],
  ['tasks per client', (c) => String(c.tasksPerClient)],
  ['client mode', (c) => (c.clientMode === 'workers' ? `workers (${c.loadgenWorkers} loadgen processes)` : 'process (one per client)')],
  ['server lifecycle', (c) => c.serverLifecycle],
  ['pool size', (c) => String(c.poolSize)],
];

function differences<T>(fields: readonly (readonly [string, (x: T) => string])[], base: T, next: T): Difference[] {
  return fields.flatMap(([what, f]) => (f(base) === f(next) ? [] : [{ what, base: f(base), new: f(next) }]));
}

function key(workload: string, design: string, clients: number): string {
  return `${workload}\u0000${design}\u0000${clients}`;
}

function cellsOf(input: LoadedInput): Map<string, CellStats> {
  const a = analyse(combineInputs([input]), DEFAULT_REPORT_OPTIONS.kneeElasticity);
  const out = new Map<string, CellStats>();
  for (const w of a.workloads) for (const d of w.designs) for (const c of d.cells) out.set(key(c.workload, c.design, c.clients), c);
  return out;
}

function ratioOf(next: number | null | undefined, base: number | null | undefined): number | null {
  return next == null || base == null || base <= 0 ? null : next / base;
}

/** Compares two loaded results files (see SweepComparison). `failOnRegression`: a fraction, or null. */
export function compareInputs(base: LoadedInput, next: LoadedInput, failOnRegression: number | null = null): SweepComparison {
  const b = cellsOf(base);
  const n = cellsOf(next);
  const workloads: string[] = [...new Set([...base.results.config.workloads, ...next.results.config.workloads].map((w) => w.name))];
  const order = (x: CellKey, y: CellKey) => workloads.indexOf(x.workload) - workloads.indexOf(y.workload) || byDesignOrder(x.design, y.design) || x.clients - y.clients;
  const keyOf = (c: CellStats): CellKey => ({ workload: c.workload, design: c.design, clients: c.clients });
  const cells: CellComparison[] = [];
  for (const [k, bc] of b) {
    const nc = n.get(k);
    if (!nc) continue;
    const noisy = bc.noisy || nc.noisy;
    const rule = compareCells(nc, bc);
    const totalRatio = ratioOf(nc.medianTotalMs, bc.medianTotalMs);
    const verdict = noisy ? 'withheld' : rule.verdict;
    cells.push({
      ...keyOf(bc),
      base: bc,
      new: nc,
      totalRatio,
      p99Ratio: ratioOf(nc.latency?.p99Ms, bc.latency?.p99Ms),
      serverCpuRatio: ratioOf(nc.medianServerCpuMs, bc.medianServerCpuMs),
      verdict,
      by: noisy ? 'noisy' : rule.by,
      p: noisy ? null : rule.p,
      regression: failOnRegression !== null && verdict === 'slower' && totalRatio !== null && totalRatio > 1 + failOnRegression,
    });
  }
  cells.sort(order);
  const onlyInBase = [...b].filter(([k]) => !n.has(k)).map(([, c]) => keyOf(c)).sort(order);
  const onlyInNew = [...n].filter(([k]) => !b.has(k)).map(([, c]) => keyOf(c)).sort(order);
  const count = (v: CellComparison['verdict']) => cells.filter((c) => c.verdict === v).length;
  const recorded = (i: LoadedInput) => i.results.cells.every((c) => c.runs.every((r) => r.noise !== undefined));
  return deepFreeze({
    base,
    new: next,
    names: fileNames(base.path, next.path),
    cells,
    onlyInBase,
    onlyInNew,
    machine: differences(MACHINE, base.results.environment, next.results.environment),
    config: differences(CONFIG, base.results.config, next.results.config),
    failOnRegression,
    regressions: cells.filter((c) => c.regression),
    counts: { faster: count('faster'), slower: count('slower'), tie: count('tie'), withheld: count('withheld') },
    noiseRecorded: { base: recorded(base), new: recorded(next) },
  });
}

/** The chart's file name in the compare folder. */
export const COMPARE_CHART_NAME = 'ratio-total-time';

/** A comparison in memory: nothing written yet. */
export interface RenderedComparison {
  readonly title: string;
  readonly comparison: SweepComparison;
  readonly markdown: string;
  readonly html: string;
  /** README.md, index.html and the chart's SVG (when a cell is in both files): file name → content. */
  readonly files: ReadonlyMap<string, string>;
}

/**
 * How the page names the two files: their base names, or as many trailing path segments as it takes
 * to tell them apart (`quick/sweep.json` and `seed/sweep.json`). Never the whole path, which would make
 * the page depend on where the files sit.
 */
export function fileNames(basePath: string, newPath: string): { base: string; new: string } {
  if (resolve(basePath) === resolve(newPath)) return { base: basename(basePath), new: basename(newPath) };
  const a = resolve(basePath).split(sep);
  const b = resolve(newPath).split(sep);
  for (let k = 1; k <= Math.max(a.length, b.length); k++) {
    const x = a.slice(-k).join('/');
    const y = b.slice(-k).join('/');
    if (x !== y) return { base: x, new: y };
  }
  return { base: basePath, new: newPath };
}

/** The default title: the two files by name. */
export function compareTitle(base: LoadedInput, next: LoadedInput): string {
  const names = fileNames(base.path, next.path);
  return `socketlab compare: ${names.new} (NEW) vs ${names.base} (BASE)`;
}

/** Renders a comparison (Markdown, HTML, one chart), in memory. The same inputs give the same bytes. */
export async function renderComparison(base: LoadedInput, next: LoadedInput, options: Pick<CompareOptions, 'title' | 'failOnRegression'> = {}): Promise<RenderedComparison> {
  const comparison = compareInputs(base, next, options.failOnRegression ?? null);
  const title = options.title ?? compareTitle(base, next);
  const points: RatioPoint[] = comparison.cells.flatMap((c) => (c.totalRatio === null ? [] : [{ workload: c.workload, design: c.design, clients: c.clients, ratio: c.totalRatio }]));
  const chart = points.length ? compareRatioChart(points, COMPARE_CHART_NAME) : null;
  const markdown = renderCompareMarkdown(comparison, title, chart);
  const svgs = new Map<string, string>();
  if (chart) svgs.set(`${chart.name}.svg`, await renderSvg(chart.spec, chart.name));
  const html = renderHtml(markdown, title, svgs);
  return { title, comparison, markdown, html, files: new Map([['README.md', markdown], ['index.html', html], ...svgs]) };
}

/** What compareSweeps() did. */
export interface CompareResult extends RenderedComparison {
  readonly outDir: string;
  /** Files written or already up to date (names within outDir). */
  readonly written: readonly string[];
}

/** Reads BASE and NEW (validated against the results schema), compares them and writes the pages to `outDir`. */
export async function compareSweeps(options: CompareOptions): Promise<CompareResult> {
  const o = resolveCompareOptions(options);
  const base = readInput(o.base, 0);
  const next = readInput(o.new, 1);
  const rendered = await renderComparison(base, next, { title: o.title, failOnRegression: o.failOnRegression });
  // Only the files compare wrote are ever removed: an earlier comparison's chart beside a page with none.
  const inDir = [o.base, o.new].filter((p) => dirname(p) === o.outDir).map((p) => basename(p));
  const { written } = writeReportFolder(o.outDir, rendered.files, { keep: new Set(inDir), force: o.force, flag: '--out' });
  return { ...rendered, outDir: o.outDir, written };
}
