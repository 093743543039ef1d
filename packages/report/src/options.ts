import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidOptionError, checkBoolean, checkKnownKeys, checkString, deepFreeze } from '@socketlab/protocol';
import { LATEST_RESULTS_NAME, defaultResultsDir, findWorkspaceRoot } from '@socketlab/results';
import { ReportInputError } from './errors.ts';

/** Options of buildReport(), all optional; see DEFAULT_REPORT_OPTIONS for the defaults. */
export interface ReportOptions {
  /**
   * loadgen results files to read (relative to `cwd`). Several files are combined into one report: a
   * design × workload × N cell found in more than one file pools its runs. Default: the report folder's
   * own copy, `<outDir>/sweep.json` (plus `sweep-2.json`, … when it was built from several files).
   */
  inputs?: readonly string[];
  /** Also read the workspace's newest sweep, `<workspace root>/results/latest.json` (what `loadgen:sweep` writes). */
  latest?: boolean;
  /**
   * Folder the report is written to (created if needed). Default: with `latest`, `<workspace root>/results/report`
   * (git-ignored, next to the sweep it reports on); otherwise `<workspace root>/reports/quick` (the shipped
   * report, rebuilt from its own sweep.json), or `./report` outside the socketlab workspace.
   */
  outDir?: string;
  /** Base of relative paths and of the workspace-root search. Default: process.cwd(). */
  cwd?: string;
  /** Report title (first heading). Default: what was swept, e.g. "socketlab report: 6 designs × sleep, fib × N = 10–100 × 3 runs". */
  title?: string | null;
  /**
   * The knee rule: a curve's local elasticity between two neighbouring N is Δln(total) ÷ Δln(N) (0 = flat,
   * the design absorbs the extra clients; 1 = proportional to N). The knee is the first N where it reaches
   * this value after staying below it. Unitless, > 0 and <= 1.
   */
  kneeElasticity?: number;
  /** A chart gets a log y axis when its largest plotted value is at least this many times its smallest. Unitless, >= 1 (1 = always log). */
  logScaleSpread?: number;
  /** Copy the inputs into the report folder (`sweep.json`, `sweep-2.json`, …) so the folder can be rebuilt from itself. */
  copyInputs?: boolean;
  /**
   * Write into `outDir` even when it holds files the report did not write (its manifest,
   * `.socketlab-report.json`, does not list them): they are left alone, files of the same name overwritten.
   * Without it such a folder is refused with ReportOutDirError.
   */
  force?: boolean;
  /**
   * A folder light enough for a repository (reports/): index.html shows the SVG files beside it instead of
   * inlining them, runs.csv and the input copies are gzip-compressed (`runs.csv.gz`, `sweep.json.gz`), and
   * the copies leave out the per-request timelines no report reads (see light.ts).
   */
  light?: boolean;
}

/** The options with every default filled in and every path absolute. Frozen. */
export interface ResolvedReportOptions {
  readonly inputs: readonly string[];
  readonly latest: boolean;
  readonly outDir: string;
  readonly cwd: string;
  readonly workspaceRoot: string | null;
  readonly title: string | null;
  readonly kneeElasticity: number;
  readonly logScaleSpread: number;
  readonly copyInputs: boolean;
  readonly force: boolean;
  readonly light: boolean;
}

/** Defaults, with units. `inputs: []` means "the report folder's own sweep.json". */
export const DEFAULT_REPORT_OPTIONS = Object.freeze({
  inputs: Object.freeze([]) as readonly string[],
  latest: false,
  outDirInWorkspace: 'reports/quick', // relative to the workspace root (the folder with nx.json)
  // With --latest: beside the sweep, under the git-ignored results/, so the main job never rewrites the
  // tracked reports/ (regenerating those is the maintainers' `npx nx run report:shipped`).
  outDirLatest: 'results/report',
  outDirElsewhere: 'report', // relative to cwd, outside the socketlab workspace
  title: null as string | null, // derived from the sweep
  kneeElasticity: 0.5, // unitless: half-way between flat (0) and proportional to N (1)
  logScaleSpread: 10, // ×: log y axis once the values span a factor of 10
  copyInputs: true,
  force: false,
  light: false,
});

/** Name of the report folder's copy of its input (`sweep-2.json`, … for further inputs). */
export const INPUT_COPY_NAME = 'sweep.json';

/** `sweep.json`, `sweep-2.json`, `sweep-3.json`, … */
export function inputCopyName(index: number): string {
  return index === 0 ? INPUT_COPY_NAME : `sweep-${index + 1}.json`;
}

const KEYS = ['inputs', 'latest', 'outDir', 'cwd', 'title', 'kneeElasticity', 'logScaleSpread', 'copyInputs', 'force', 'light'] as const;

function checkNumber(name: string, value: unknown, min: number, exclusive: boolean, max = 1000): number {
  const tooLow = typeof value === 'number' && (exclusive ? value <= min : value < min);
  if (typeof value !== 'number' || !Number.isFinite(value) || tooLow || value > max) {
    throw new InvalidOptionError(`${name} must be a number ${exclusive ? '>' : '>='} ${min} and <= ${max} (got ${typeof value === 'number' ? value : typeof value})`);
  }
  return value;
}

/**
 * Validates the options (only the fields given; messages name the option and the rule) and fills in
 * the defaults. Paths become absolute; `inputs` stays empty when none were given (see resolveInputs).
 */
export function resolveReportOptions(options: ReportOptions = {}): ResolvedReportOptions {
  const given = checkKnownKeys('options', options, KEYS);
  const d = DEFAULT_REPORT_OPTIONS;
  const cwd = given.cwd === undefined ? process.cwd() : resolve(checkString('cwd', given.cwd));
  const root = findWorkspaceRoot(cwd);
  let inputs: string[] = [];
  if (given.inputs !== undefined) {
    if (!Array.isArray(given.inputs)) throw new InvalidOptionError(`inputs must be an array of file paths (got ${typeof given.inputs})`);
    inputs = given.inputs.map((p, i) => resolve(cwd, checkString(`inputs[${i}]`, p)));
  }
  const latest = given.latest === undefined ? d.latest : checkBoolean('latest', given.latest);
  if (latest && root === null) {
    throw new InvalidOptionError(`latest needs the socketlab workspace (a folder with nx.json above ${cwd}), where loadgen writes results/latest.json; pass the file as an input instead`);
  }
  const outDir = given.outDir === undefined
    ? (root === null ? resolve(cwd, d.outDirElsewhere) : join(root, latest ? d.outDirLatest : d.outDirInWorkspace))
    : resolve(cwd, checkString('outDir', given.outDir));
  const content = resolveContentOptions({ title: given.title as string | null | undefined, kneeElasticity: given.kneeElasticity as number | undefined, logScaleSpread: given.logScaleSpread as number | undefined });
  return deepFreeze({
    inputs,
    latest,
    outDir,
    cwd,
    workspaceRoot: root,
    ...content,
    copyInputs: given.copyInputs === undefined ? d.copyInputs : checkBoolean('copyInputs', given.copyInputs),
    force: given.force === undefined ? d.force : checkBoolean('force', given.force),
    light: given.light === undefined ? d.light : checkBoolean('light', given.light),
  });
}

/** The options that shape a report's content, validated and defaulted (see renderReport). */
export function resolveContentOptions(options: Pick<ReportOptions, 'title' | 'kneeElasticity' | 'logScaleSpread'>): Pick<ResolvedReportOptions, 'title' | 'kneeElasticity' | 'logScaleSpread'> {
  const given = checkKnownKeys('options', options, ['title', 'kneeElasticity', 'logScaleSpread']);
  const d = DEFAULT_REPORT_OPTIONS;
  return deepFreeze({
    title: given.title === undefined || given.title === null ? d.title : checkString('title', given.title),
    kneeElasticity: given.kneeElasticity === undefined ? d.kneeElasticity : checkNumber('kneeElasticity', given.kneeElasticity, 0, true, 1),
    logScaleSpread: given.logScaleSpread === undefined ? d.logScaleSpread : checkNumber('logScaleSpread', given.logScaleSpread, 1, false, 1e9),
  });
}

/**
 * The files to read: the given inputs, plus results/latest.json with `latest`; with neither, the report
 * folder's own copies (`sweep.json` or `sweep.json.gz`, then `sweep-2.json`, … while they exist). Throws ReportInputError
 * when there is nothing to read.
 */
export function resolveInputs(options: ResolvedReportOptions): string[] {
  const out = [...options.inputs];
  if (options.latest && options.workspaceRoot !== null) out.push(join(defaultResultsDir(options.workspaceRoot), LATEST_RESULTS_NAME));
  if (out.length > 0) return out;
  for (let i = 0; ; i++) {
    const p = [inputCopyName(i), `${inputCopyName(i)}.gz`].map((name) => join(options.outDir, name)).find((x) => existsSync(x));
    if (p === undefined) break;
    out.push(p);
  }
  if (out.length === 0) {
    const where = join(options.outDir, INPUT_COPY_NAME);
    throw new ReportInputError(
      `no input: ${where} does not exist; pass a loadgen results file (--in <file>), or --latest for the workspace's results/latest.json`,
    );
  }
  return out;
}

/** `path` relative to `base` when it is inside it, for messages (absolute otherwise). */
export function displayPath(path: string, base: string): string {
  const b = base.endsWith('/') ? base : `${base}/`;
  return isAbsolute(path) && path.startsWith(b) ? path.slice(b.length) : path;
}
