import { relative } from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';
import { InvalidOptionError } from '@socketlab/protocol';
import { EXIT_CODES, HELP_FLAG, VERSION_FLAG, helpText as skeletonHelp, runCli, type CliDefinition, type CliFlag } from '@socketlab/protocol/cli';
import { DEFAULT_COMPARE_OPTIONS, compareSweeps, type CompareOptions } from './compare.ts';
import { differenceWarning, thresholdText } from './compare-markdown.ts';
import { ratio } from './format.ts';

const BIN = 'socketlab-report compare';

/**
 * `socketlab-report compare`'s exit codes. 0, 1 and 2 are every socketlab bin's; 4 is loadgen's code for
 * the same event (a threshold failed), so that a CI job reads both bins' 4 the same way.
 */
export const COMPARE_EXIT_CODES = Object.freeze({ ...EXIT_CODES, regression: 4 });

/** `10%` → 0.1. Only a percentage with its sign: a bare `0.1` could mean 0.1 % or 10 %. */
export function percentValue(raw: string, flag: string): number {
  const m = /^([0-9]*\.?[0-9]+)%$/.exec(raw.trim());
  const max = DEFAULT_COMPARE_OPTIONS.maxRegression * 100;
  if (!m || Number(m[1]) > max) throw new InvalidOptionError(`${flag} must be a percentage from 0% to ${max}%, e.g. 10% (got ${JSON.stringify(raw)})`);
  return Number(m[1]) / 100;
}

const FLAGS: readonly CliFlag[] = [
  { flag: '--out', short: '-o', type: 'string', arg: '<dir>', option: 'outDir', help: `folder for README.md, index.html and the chart (default: ${DEFAULT_COMPARE_OPTIONS.outDirInWorkspace} under the socketlab workspace root, git-ignored; ./${DEFAULT_COMPARE_OPTIONS.outDirElsewhere} outside it)` },
  { flag: '--title', type: 'string', arg: '<text>', option: 'title', help: 'first heading (default: "socketlab compare: <NEW file> (NEW) vs <BASE file> (BASE)")' },
  { flag: '--fail-on-regression', type: 'string', arg: '<x%>', option: 'failOnRegression', parse: percentValue, help: 'exit 4 when a cell\'s verdict is "NEW slower" and NEW ÷ BASE of its median total time is above 1 + x (default: no threshold, exit 0 even when slower)' },
  { flag: '--force', type: 'boolean', option: 'force', help: 'write into --out even when it holds files compare did not write (they are kept, files of the same name overwritten; default: refuse, exit 1)' },
  { flag: '--quiet', short: '-q', type: 'boolean', help: 'print no summary on stdout (warnings and the reason for a non-zero exit still go to stderr)' },
];

export const COMPARE_CLI: CliDefinition = {
  bin: BIN,
  summary: [
    'socketlab-report compare BASE.json NEW.json [options]',
    '',
    'Compares two loadgen results files cell by cell: for every design × workload × N in both, NEW ÷ BASE of the',
    'median total time, the p99 task latency and the server CPU, and a verdict (NEW faster, slower or tie) by the',
    'rule the report uses between designs; cells with a noisy run get none. Cells in only one file are listed.',
    'Different machines or configurations are allowed, and said loudly (a banner, and a warning on stderr).',
    'Writes README.md, index.html and one chart (NEW ÷ BASE vs N, a line per design).',
  ],
  flags: FLAGS,
  packageJson: new URL('../package.json', import.meta.url),
  positionalHint: 'compare takes two files, BASE and NEW',
  epilogue: [
    'Examples:',
    `  ${BIN} results/old.json results/latest.json`,
    `  ${BIN} base.json new.json --fail-on-regression 10% --quiet     a CI gate`,
    '  npx nx run report:compare -- "$PWD/base.json" "$PWD/new.json"   (Nx runs in packages/report: give absolute paths)',
    '',
    'Exit codes:',
    `  ${COMPARE_EXIT_CODES.ok}   written (also when NEW is slower, unless --fail-on-regression)`,
    `  ${COMPARE_EXIT_CODES.failure}   unreadable or invalid input`,
    `  ${COMPARE_EXIT_CODES.usage}   bad usage`,
    `  ${COMPARE_EXIT_CODES.regression}   --fail-on-regression: a cell is slower beyond the threshold, or no cell is in both files (one line on stderr says which, even with --quiet)`,
  ],
};

/**
 * Splits BASE and NEW (positionals) from the flags: the shared parser rejects positionals, so they are
 * taken out first, by node's own tokenizer with the same flag table (a flag's value is never taken for
 * a file). npm's and Nx's `--` separator is dropped, as the shared parser does.
 */
export function splitPositionals(argv: readonly string[]): { files: string[]; rest: string[] } {
  const args = argv.filter((a) => a !== '--');
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const f of [...FLAGS, HELP_FLAG, VERSION_FLAG]) options[f.flag.slice(2)] = { type: f.type, ...(f.short ? { short: f.short.slice(1) } : {}) };
  const { tokens } = nodeParseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const at = new Set(tokens.filter((t) => t.kind === 'positional').map((t) => t.index));
  return { files: args.filter((_, i) => at.has(i)), rest: args.filter((_, i) => !at.has(i)) };
}

/** Runs `socketlab-report compare` (argv after `compare`). Sets process.exitCode (see COMPARE_EXIT_CODES). */
export async function compareMain(argv: readonly string[]): Promise<void> {
  const { files, rest } = splitPositionals(argv);
  await runCli(rest, COMPARE_CLI, async (p) => {
    if (files.length !== 2) throw new InvalidOptionError(`compare needs two results files, BASE and NEW (got ${files.length}${files.length ? `: ${files.join(' ')}` : ''})`);
    const quiet = p.flags.quiet === true;
    const result = await compareSweeps({ ...(p.options as Omit<CompareOptions, 'base' | 'new'>), base: files[0]!, new: files[1]! });
    const c = result.comparison;
    // Loud whatever --quiet says: a comparison across machines or configurations is easy to misread.
    const warning = differenceWarning(c);
    if (warning) process.stderr.write(`${BIN}: WARNING: ${warning}\n`);
    if (!quiet) {
      const rel = relative(process.cwd(), result.outDir) || '.';
      const k = c.counts;
      process.stdout.write(`${BIN}: wrote ${rel}/ (${[...result.files.keys()].join(', ')}): ${c.cells.length} cells in both files; NEW faster in ${k.faster}, slower in ${k.slower}, tie in ${k.tie}, withheld (noisy) in ${k.withheld}; ${c.onlyInBase.length} only in BASE, ${c.onlyInNew.length} only in NEW\n`);
    }
    const t = c.failOnRegression;
    if (t === null) return COMPARE_EXIT_CODES.ok;
    if (c.cells.length === 0) {
      process.stderr.write(`${BIN}: exit ${COMPARE_EXIT_CODES.regression}: no cell is in both files, so --fail-on-regression ${thresholdText(t).replace(' ', '')} checked nothing\n`);
      return COMPARE_EXIT_CODES.regression;
    }
    if (c.regressions.length === 0) return COMPARE_EXIT_CODES.ok;
    const worst = [...c.regressions].sort((a, b) => b.totalRatio! - a.totalRatio!);
    const shown = worst.slice(0, 3).map((x) => `${x.design} × ${x.workload} × N = ${x.clients} (${ratio(x.totalRatio!, 3)})`).join(', ');
    process.stderr.write(`${BIN}: exit ${COMPARE_EXIT_CODES.regression}: ${c.regressions.length} cell${c.regressions.length === 1 ? '' : 's'} slower beyond --fail-on-regression ${thresholdText(t).replace(' ', '')}: ${shown}${worst.length > 3 ? `, … (${worst.length - 3} more)` : ''}\n`);
    return COMPARE_EXIT_CODES.regression;
  });
}

/** The `compare --help` text. */
export function compareHelpText(): string {
  return skeletonHelp(COMPARE_CLI, COMPARE_CLI.flags);
}
