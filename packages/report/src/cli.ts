import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { helpText as skeletonHelp, numberValue, parseCommandLine, runCli, type CliDefinition, type ParsedCommandLine } from '@socketlab/protocol/cli';
import { DEFAULT_REPORT_OPTIONS, resolveInputs, resolveReportOptions, type ReportOptions } from './options.ts';
import { compareMain } from './compare-cli.ts';
import { buildReport } from './report.ts';
import { MANIFEST_NAME } from './out-dir.ts';

const BIN = 'socketlab-report';

/** The command line, parsed. */
export interface ParsedArgs {
  help: boolean;
  version: boolean;
  /** Print nothing but errors. */
  quiet: boolean;
  /** With --latest: a missing results/latest.json is not an error (nothing to report yet). */
  ifPresent: boolean;
  options: ReportOptions;
}

const d = DEFAULT_REPORT_OPTIONS;

const CLI: CliDefinition = {
  bin: BIN,
  summary: [
    'Turns socketlab loadgen results (JSON) into a write-up in one folder: README.md (Markdown), one SVG',
    'per chart, and index.html (the same text with the charts inline; no network needed). The inputs are',
    'validated against the results schema (@socketlab/results). The same input always gives byte-identical files.',
  ],
  flags: [
    { flag: '--in', short: '-i', type: 'string', arg: '<file>', multiple: true, option: 'inputs', help: 'a loadgen results file; repeat to combine sweeps (default: the report folder\'s own copy, <out>/sweep.json)' },
    { flag: '--latest', type: 'boolean', option: 'latest', help: `also read <workspace root>/results/latest.json, the newest sweep loadgen wrote; the report then goes to ${d.outDirLatest}/ unless --out` },
    { flag: '--if-present', type: 'boolean', help: 'with --latest: when results/latest.json does not exist yet, say what to run for it and exit 0 (the report:build target)' },
    { flag: '--out', short: '-o', type: 'string', arg: '<dir>', option: 'outDir', help: `report folder (default: ${d.outDirLatest} with --latest, else ${d.outDirInWorkspace}, under the socketlab workspace root, the folder with nx.json; ./${d.outDirElsewhere} outside it)` },
    { flag: '--title', type: 'string', arg: '<text>', option: 'title', help: 'first heading (default: what was swept, e.g. "socketlab report: 6 designs × sleep, fib × N = 10–100 × 3 runs")' },
    { flag: '--knee-elasticity', type: 'string', arg: '<x>', option: 'kneeElasticity', parse: numberValue, help: `the knee: the first N where the curve's local elasticity Δln(total)/Δln(N) reaches x after staying below it; 0 < x <= 1 (default: ${d.kneeElasticity})` },
    { flag: '--log-scale-spread', type: 'string', arg: '<x>', option: 'logScaleSpread', parse: numberValue, help: `a chart gets a log y axis when its largest value is >= x times its smallest; >= 1 (default: ${d.logScaleSpread})` },
    { flag: '--no-copy', type: 'boolean', option: 'copyInputs', sets: false, help: 'do not copy the inputs into the report folder (as sweep.json, sweep-2.json, …)' },
    { flag: '--force', type: 'boolean', option: 'force', help: `write into the report folder even when it holds files the report did not write (not listed in its ${MANIFEST_NAME}); they are kept, files of the same name overwritten (default: refuse such a folder, exit 1)` },
    { flag: '--light', type: 'boolean', option: 'light', help: 'a folder light enough for a repository: index.html shows the SVG files instead of inlining them; runs.csv.gz and sweep.json.gz (without per-request timelines) instead of runs.csv and sweep.json' },
    { flag: '--quiet', short: '-q', type: 'boolean', help: 'print nothing but errors' },
  ],
  packageJson: new URL('../package.json', import.meta.url),
  positionalHint: 'input files go after --in',
  epilogue: [
    'Examples:',
    `  ${BIN}                                   rebuild reports/quick/ from reports/quick/sweep.json`,
    `  ${BIN} --latest                          report on the sweep loadgen just wrote (results/latest.json) into results/report/`,
    `  ${BIN} --latest --if-present             the same, or say what to run when there is no sweep yet`,
    `  ${BIN} --in a.json --in b.json --out r   combine two sweeps into ./r`,
    '',
    `Comparing two sweeps: ${BIN} compare BASE.json NEW.json [options] (see ${BIN} compare --help).`,
    '',
    'Exit codes: 0 written, 1 unreadable or invalid input, or a report folder holding other files (see --force), 2 bad usage.',
  ],
};

function toParsedArgs(p: ParsedCommandLine): ParsedArgs {
  return { help: p.help, version: p.version, quiet: p.flags.quiet === true, ifPresent: p.flags['if-present'] === true, options: p.options as ReportOptions };
}

/**
 * Parses argv (without `node` and the script). Exported for tests. Throws InvalidOptionError naming
 * the flag; ranges are checked by resolveReportOptions().
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  return toParsedArgs(parseCommandLine(argv, CLI.flags, CLI));
}

/** The --help text. */
export function helpText(): string {
  return skeletonHelp(CLI, CLI.flags);
}

/** With --latest and no other input: results/latest.json's path when it does not exist yet, else null. */
function missingLatest(options: ReportOptions): string | null {
  const o = resolveReportOptions(options);
  if (!o.latest || o.inputs.length > 0 || o.workspaceRoot === null) return null;
  const latest = resolveInputs(o)[0]!;
  return existsSync(latest) ? null : latest;
}

/**
 * Runs the CLI (bin.js calls this). Sets process.exitCode: 0 written, 1 bad input, 2 bad usage.
 * `compare` as the first argument runs the compare subcommand instead (compare-cli.ts).
 */
export async function main(argv: string[]): Promise<void> {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  if (args[0] === 'compare') return compareMain(args.slice(1));
  await runCli(argv, CLI, async (p) => {
    const parsed = toParsedArgs(p);
    const latest = parsed.ifPresent ? missingLatest(parsed.options) : null;
    if (latest !== null) {
      if (!parsed.quiet) process.stdout.write(`${BIN}: no report yet: ${relative(process.cwd(), latest)} does not exist. Run a sweep first: npx nx run loadgen:sweep (then npx nx run report:build)\n`);
      return;
    }
    const result = await buildReport(parsed.options);
    if (!parsed.quiet) {
      const rel = (path: string) => relative(process.cwd(), path) || '.';
      const removed = result.removed.length ? `; removed ${result.removed.length} file(s) an earlier report wrote` : '';
      process.stdout.write(`${BIN}: wrote ${rel(result.outDir)}/ (README.md, index.html, ${result.charts.length} charts) from ${result.inputPaths.map(rel).join(', ')}${removed}\n`);
    }
  });
}
