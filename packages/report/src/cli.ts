import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { InvalidOptionError, SocketlabError } from '@socketlab/protocol';
import { DEFAULT_REPORT_OPTIONS, type ReportOptions } from './options.ts';
import { buildReport } from './report.ts';

const BIN = 'socketlab-report';

/** The command line, parsed. */
export interface ParsedArgs {
  help: boolean;
  version: boolean;
  /** Print nothing but errors. */
  quiet: boolean;
  options: ReportOptions;
}

const NUMBER = /^[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?$/i;

/**
 * Parses argv (without `node` and the script). Exported for tests. Throws InvalidOptionError naming
 * the flag; ranges are checked by resolveReportOptions().
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { help: false, version: false, quiet: false, options: {} };
  const inputs: string[] = [];
  const o = parsed.options;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue; // npm / nx pass-through separator
    if (arg === '--help' || arg === '-h') { parsed.help = true; continue; }
    if (arg === '--version' || arg === '-v') { parsed.version = true; continue; }
    if (arg === '--quiet' || arg === '-q') { parsed.quiet = true; continue; }
    if (arg === '--latest') { o.latest = true; continue; }
    if (arg === '--no-copy') { o.copyInputs = false; continue; }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = (): string => {
      const v = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (v === undefined || v === '' || (eq === -1 && v.startsWith('-') && v.length > 1)) throw new InvalidOptionError(`${flag} needs a value`);
      return v;
    };
    const numberValue = (): number => {
      const v = value();
      if (!NUMBER.test(v)) throw new InvalidOptionError(`${flag} must be a number (got ${JSON.stringify(v)})`);
      return Number(v);
    };
    switch (flag) {
      case '--in':
      case '-i':
        inputs.push(value());
        break;
      case '--out':
      case '-o':
        o.outDir = value();
        break;
      case '--title':
        o.title = value();
        break;
      case '--stop-scaling-factor':
        o.stopScalingFactor = numberValue();
        break;
      case '--log-scale-spread':
        o.logScaleSpread = numberValue();
        break;
      default:
        throw new InvalidOptionError(arg.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument ${JSON.stringify(arg)}; input files go after --in`);
    }
  }
  if (inputs.length) o.inputs = inputs;
  return parsed;
}

/** The --help text. */
export function helpText(): string {
  const d = DEFAULT_REPORT_OPTIONS;
  const row = (left: string, right: string) => `  ${left.padEnd(30)} ${right}`;
  return [
    `Usage: ${BIN} [options]`,
    '',
    'Turns socketlab loadgen results (JSON) into a write-up in one folder: README.md (Markdown), one SVG',
    'per chart, and index.html (the same text with the charts inline; no network needed). The inputs are',
    'validated against loadgen\'s results schema. The same input always gives byte-identical files.',
    '',
    'Options:',
    row('-i, --in <file>', 'a loadgen results file; repeat to combine sweeps (default: the report folder\'s own copy, <out>/sweep.json)'),
    row('--latest', 'also read <workspace root>/results/latest.json, the newest sweep loadgen wrote'),
    row('-o, --out <dir>', `report folder (default: ${d.outDirInWorkspace} under the socketlab workspace root, the folder with nx.json; ./${d.outDirElsewhere} outside it)`),
    row('--title <text>', 'first heading (default: from the sweep, e.g. "socketlab report: quick sweep")'),
    row('--stop-scaling-factor <x>', `a design stops scaling at the first N whose median total time is >= x times the smallest N's; > 1 (default: ${d.stopScalingFactor})`),
    row('--log-scale-spread <x>', `a chart gets a log y axis when its largest value is >= x times its smallest; >= 1 (default: ${d.logScaleSpread})`),
    row('--no-copy', 'do not copy the inputs into the report folder (as sweep.json, sweep-2.json, …)'),
    row('-q, --quiet', 'print nothing but errors'),
    row('-v, --version', 'print the version'),
    row('-h, --help', 'print this help'),
    '',
    'Examples:',
    `  ${BIN}                                   rebuild reports/quick/ from reports/quick/sweep.json`,
    `  ${BIN} --latest                          report on the sweep loadgen just wrote (results/latest.json)`,
    `  ${BIN} --in a.json --in b.json --out r   combine two sweeps into ./r`,
    '',
    'Exit codes: 0 written, 1 unreadable or invalid input, 2 bad usage.',
  ].join('\n');
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Runs the CLI (bin.js calls this). Sets process.exitCode: 0 written, 1 bad input, 2 bad usage. */
export async function main(argv: string[]): Promise<void> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${BIN}: ${(err as Error).message}\nRun '${BIN} --help' for usage.\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  if (parsed.version) {
    process.stdout.write(version() + '\n');
    return;
  }
  try {
    const result = await buildReport(parsed.options);
    if (!parsed.quiet) {
      const rel = (p: string) => relative(process.cwd(), p) || '.';
      const removed = result.removed.length ? `; removed ${result.removed.length} stale file(s)` : '';
      process.stdout.write(`${BIN}: wrote ${rel(result.outDir)}/ (README.md, index.html, ${result.charts.length} charts) from ${result.inputPaths.map(rel).join(', ')}${removed}\n`);
    }
  } catch (err) {
    const usage = err instanceof SocketlabError && err.code === InvalidOptionError.code;
    const known = err instanceof SocketlabError;
    process.stderr.write(`${BIN}: ${known ? `${err.message} [${err.code}]` : `failed: ${(err as Error).stack ?? String(err)}`}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}
