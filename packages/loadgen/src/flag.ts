import { InvalidOptionError } from '@socketlab/protocol';
import type { CliFlag } from '@socketlab/protocol/cli';
import { parseExpectation, type Expectation } from './adapters.ts';
import type { SweepOptions } from './options.ts';

/** A loadgen flag: `option` is the SweepOptions field it sets; `default` is always shown in --help. */
export interface LoadgenFlag extends CliFlag {
  readonly option?: keyof SweepOptions;
  readonly default: string;
}

/** `--designs a,b` and the like: a comma-separated list of known values (`all` for --designs). */
export function listValue(choices: readonly string[]) {
  return (raw: string, flag: string): string[] => {
    if (raw === 'all' && flag === '--designs') return [...choices];
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new InvalidOptionError(`${flag} needs at least one value`);
    for (const item of items) {
      if (!choices.includes(item)) throw new InvalidOptionError(`${flag}: unknown value "${item}"; expected one of ${choices.join(', ')}`);
    }
    return items;
  };
}

/** `--expect sleep=prefix:Slept`: one task word and its expectation (checked here, so errors name the flag). */
export function expectValue(raw: string, flag: string): [string, Expectation] {
  const eq = raw.indexOf('=');
  const word = eq === -1 ? '' : raw.slice(0, eq).trim().toLowerCase();
  if (!/^[a-z0-9_-]+$/.test(word)) throw new InvalidOptionError(`${flag} must be TASK=REPLY, e.g. sleep=prefix:Slept (got ${JSON.stringify(raw)})`);
  return [word, parseExpectation(raw.slice(eq + 1), flag)];
}

/** `--clients 10,20` or `10..100:10`. */
export function clientsValue(raw: string): number[] {
  const out: number[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)\.\.(\d+)(?::(\d+))?$/.exec(part);
    if (range) {
      const [from, to, step] = [Number(range[1]), Number(range[2]), Number(range[3] ?? 1)];
      if (step < 1 || to < from) throw new InvalidOptionError(`--clients: range "${part}" must go up with a step >= 1`);
      if ((to - from) / step > 10_000) throw new InvalidOptionError(`--clients: range "${part}" has too many values`);
      for (let n = from; n <= to; n += step) out.push(n);
    } else if (/^[0-9]+$/.test(part)) {
      out.push(Number(part));
    } else {
      throw new InvalidOptionError(`--clients: "${part}" is neither a count nor a range like 10..100:10`);
    }
  }
  if (out.length === 0) throw new InvalidOptionError('--clients needs at least one value');
  return out;
}
