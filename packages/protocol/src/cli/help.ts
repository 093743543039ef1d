import { HELP_FLAG, VERSION_FLAG, type CliFlag } from './flags.ts';

/** What --help says besides the flags. */
export interface HelpText {
  /** The bin name, e.g. `socketlab-loadgen`. */
  readonly bin: string;
  /** What the command does: lines between the usage line and the options. */
  readonly summary: readonly string[];
  /** Lines after the options (presets, examples, exit codes). */
  readonly epilogue?: readonly string[];
}

/** `-o, --out <file>`: the left column of a flag's row. */
function flagColumn(f: CliFlag): string {
  return `${f.short ? `${f.short}, ` : ''}${f.flag}${f.type === 'string' ? ` ${f.arg ?? '<value>'}` : ''}`;
}

/** The --help text, generated from the flag table (plus --version and --help, which every bin has). */
export function helpText(text: HelpText, table: readonly CliFlag[]): string {
  const flags = [...table, VERSION_FLAG, HELP_FLAG];
  const width = Math.max(...flags.map((f) => flagColumn(f).length)) + 2;
  const rows = flags.map((f) => `  ${flagColumn(f).padEnd(width)}${f.help}${f.default === undefined ? '' : ` (default: ${f.default})`}`);
  return [`Usage: ${text.bin} [options]`, '', ...text.summary, '', 'Options:', ...rows, ...(text.epilogue?.length ? ['', ...text.epilogue] : [])].join('\n');
}
