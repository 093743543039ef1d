import { parseArgs } from 'node:util';
import { InvalidOptionError } from '../errors.ts';

/**
 * One command-line flag: every bin declares its flags once, in a table of these. Parsing, `--help`
 * and error messages all come from that table, so a flag cannot be documented one way and read another.
 */
export interface CliFlag {
  /** The flag as the user types it: `--time-scale`. */
  readonly flag: string;
  /** One-letter alias, as typed: `-o`. */
  readonly short?: string;
  /** `boolean`: a switch that takes no value. `string`: takes exactly one value. */
  readonly type: 'boolean' | 'string';
  /** Repeatable: the values are collected in order. Otherwise the last one wins. */
  readonly multiple?: boolean;
  /** Placeholder of the value in --help: `<ms>`. */
  readonly arg?: string;
  /** One line of --help. */
  readonly help: string;
  /** Shown in --help as `(default: …)`; nothing is shown when undefined. */
  readonly default?: string | number;
  /**
   * The API option the flag sets: `timeScale`, or a dotted path (`limits.maxFibN`). Errors that the
   * API raises about that option are reworded to name this flag (see nameFlags).
   */
  readonly option?: string;
  /** Turns the text typed into the option's value; throws InvalidOptionError naming `flag`. Default: the text. */
  readonly parse?: (raw: string, flag: string) => unknown;
  /** What a boolean flag sets its option to. Default: true (`--no-copy` sets false). */
  readonly sets?: unknown;
}

/** The flags every bin has; the skeleton handles them itself. */
export const HELP_FLAG: CliFlag = { flag: '--help', short: '-h', type: 'boolean', help: 'print this help' };
export const VERSION_FLAG: CliFlag = { flag: '--version', short: '-v', type: 'boolean', help: 'print the version' };

export interface ParsedCommandLine {
  help: boolean;
  version: boolean;
  /** API options set by flags that have an `option`, nested along dotted paths. */
  options: Record<string, unknown>;
  /** Values of flags without an `option`, by long name without dashes (`out`, `json`). */
  flags: Record<string, unknown>;
}

export interface ParseSettings {
  /** Options that hold before any flag (a server CLI logs as text unless told otherwise). */
  initialOptions?: Record<string, unknown>;
  /** Appended to the "unexpected argument" error: where such text belongs instead. */
  positionalHint?: string;
}

const NON_NEGATIVE_INTEGER = /^[0-9]+$/;
const NUMBER = /^[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?$/i;

/** A value parser for whole numbers >= 0; ranges are the API's to check. */
export function integerValue(raw: string, flag: string): number {
  if (!NON_NEGATIVE_INTEGER.test(raw)) throw new InvalidOptionError(`${flag} must be a non-negative integer (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

/** A value parser for non-negative decimal numbers (`0.5`, `1e-3`); ranges are the API's to check. */
export function numberValue(raw: string, flag: string): number {
  if (!NUMBER.test(raw)) throw new InvalidOptionError(`${flag} must be a number (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

/** A value parser that accepts one of `choices`. */
export function choiceValue<T extends string>(choices: readonly T[]): (raw: string, flag: string) => T {
  return (raw, flag) => {
    if (!choices.includes(raw as T)) throw new InvalidOptionError(`${flag} must be one of ${choices.join(', ')} (got ${JSON.stringify(raw)})`);
    return raw as T;
  };
}

/** Edit distance counting an insert, a delete, a replace or a swap of two neighbours as one (typos). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known flag closest to what was typed, if it is close enough to be a typo: at most a third of its
 * letters wrong (at least one), or the start of exactly one flag (`--time` for `--time-scale`).
 */
export function suggestFlag(typed: string, known: readonly string[]): string | null {
  const t = typed.replace(/^-+/, '');
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(t, k.replace(/^-+/, ''));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best !== null && bestDistance <= Math.max(1, Math.floor(t.length / 3))) return best;
  const prefixed = known.filter((k) => k.replace(/^-+/, '').startsWith(t));
  return t.length >= 2 && prefixed.length === 1 ? prefixed[0]! : null;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
}

/**
 * Parses argv against a flag table with node:util.parseArgs. Throws InvalidOptionError naming the flag
 * as typed: unknown flags (with a "did you mean"), a missing value, a value that looks like a flag
 * (`--out -q`: the user forgot the value; `--out=-q` is taken as meant), a value given to a switch.
 * `--` is skipped: npm and Nx pass it through in front of a script's arguments.
 */
export function parseCommandLine(argv: readonly string[], table: readonly CliFlag[], settings: ParseSettings = {}): ParsedCommandLine {
  const all = [...table, HELP_FLAG, VERSION_FLAG];
  const byName = new Map(all.map((f) => [f.flag.slice(2), f]));
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const f of all) options[f.flag.slice(2)] = { type: f.type, ...(f.short ? { short: f.short.slice(1) } : {}) };
  // strict: false, tokens: true: node's own errors name options its way; the tokens let us word them
  // with the flag as typed (rawName) and apply one rule for values that look like flags.
  const { tokens } = parseArgs({ args: argv.filter((a) => a !== '--'), options, strict: false, allowPositionals: true, tokens: true });
  const parsed: ParsedCommandLine = { help: false, version: false, options: structuredClone(settings.initialOptions ?? {}), flags: {} };
  const known = all.map((f) => f.flag);
  for (const token of tokens) {
    if (token.kind === 'positional') {
      throw new InvalidOptionError(`unexpected argument ${JSON.stringify(token.value)}${settings.positionalHint ? `; ${settings.positionalHint}` : ''}`);
    }
    if (token.kind !== 'option') continue;
    const spec = byName.get(token.name);
    if (!spec) {
      const suggestion = token.rawName.startsWith('--') ? suggestFlag(token.rawName, known) : null;
      throw new InvalidOptionError(`unknown flag ${token.rawName}${suggestion ? `; did you mean ${suggestion}?` : ''}`);
    }
    if (spec === HELP_FLAG || spec === VERSION_FLAG) {
      parsed[spec === HELP_FLAG ? 'help' : 'version'] = true;
      continue;
    }
    let value: unknown;
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new InvalidOptionError(`${token.rawName} takes no value (got ${JSON.stringify(token.value)})`);
      value = spec.sets ?? true;
    } else {
      const raw = token.value;
      if (raw === undefined || raw === '') throw new InvalidOptionError(`${token.rawName} needs a value`);
      if (!token.inlineValue && raw.startsWith('-') && raw.length > 1) {
        throw new InvalidOptionError(`${token.rawName} needs a value; ${JSON.stringify(raw)} looks like a flag (write ${spec.flag}=${raw} if it is the value)`);
      }
      value = spec.parse ? spec.parse(raw, spec.flag) : raw;
    }
    const into = spec.option === undefined ? parsed.flags : parsed.options;
    const key = spec.option ?? spec.flag.slice(2);
    if (spec.multiple) setPath(into, key, [...((getPath(into, key) as unknown[] | undefined) ?? []), value]);
    else setPath(into, key, value);
  }
  return parsed;
}

function getPath(target: Record<string, unknown>, path: string): unknown {
  let node: unknown = target;
  for (const k of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
  return node;
}

/**
 * Rewords an API error so it names flags, not option fields: `timeScale must be …` becomes
 * `--time-scale must be …`. The option's name is replaced at the start of the message (followed by
 * `[i]`, `.`, a space or the end), and camelCase or dotted names anywhere (those are never English words).
 */
export function nameFlags(message: string, table: readonly CliFlag[]): string {
  const withOption = table.filter((f) => f.option !== undefined).sort((a, b) => b.option!.length - a.option!.length);
  let out = message;
  for (const f of withOption) {
    const key = f.option!.replace(/[.]/g, '\\.');
    if (new RegExp(`^${key}(?=[\\s\\[.:]|$)`).test(out)) out = f.flag + out.slice(f.option!.length);
    if (/[A-Z.]/.test(f.option!)) out = out.replace(new RegExp(`(?<![\\w.-])${key}(?![\\w])`, 'g'), f.flag);
  }
  return out;
}
