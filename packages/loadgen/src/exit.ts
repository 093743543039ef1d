import { EXIT_CODES } from '@socketlab/protocol/cli';
import type { ErrorCounts, SweepResults } from '@socketlab/results';
import { checkThresholds, type Threshold } from './thresholds.ts';

/**
 * loadgen's exit codes, decided in one place (verdict() below) so that a CI job can tell a dead target
 * from a slow one. 0, 1 and 2 are every socketlab bin's (@socketlab/protocol/cli); the rest are loadgen's.
 * The help text, the README and docs/errors.md list this table; a test keeps them in step.
 */
export const LOADGEN_EXIT_CODES = Object.freeze({
  ...EXIT_CODES,
  /** Some run had client errors: refused, reset, closed, timed out, ERR replies or wrong values. */
  runErrors: 3,
  /** A --threshold failed. */
  threshold: 4,
  /** With --fail-on-noise: some run stayed noisy (foreign CPU above the threshold) after its retries. */
  noisy: 5,
  sigint: 130,
  sigterm: 143,
});

/** One line per code, for --help and the docs: code, then what it means. In order of precedence. */
export const EXIT_CODE_TABLE: readonly (readonly [number, string])[] = Object.freeze([
  [LOADGEN_EXIT_CODES.ok, 'done: every run finished without client errors and every --threshold held'],
  [LOADGEN_EXIT_CODES.failure, 'the sweep failed or is incomplete (a server did not start, a client process died), or the results are invalid'],
  [LOADGEN_EXIT_CODES.usage, 'bad usage: a flag or value (named in the message)'],
  [LOADGEN_EXIT_CODES.runErrors, 'some run had client errors (refused, reset, closed, timeout, ERR replies, wrong values); --allow-errors accepts them'],
  [LOADGEN_EXIT_CODES.threshold, 'a --threshold failed'],
  [LOADGEN_EXIT_CODES.noisy, 'with --fail-on-noise: some run stayed noisy (foreign CPU above --noise-threshold) after its retries'],
  [LOADGEN_EXIT_CODES.sigint, 'interrupted by SIGINT (Ctrl-C); partial results written'],
  [LOADGEN_EXIT_CODES.sigterm, 'stopped by SIGTERM; partial results written'],
] as const);

export interface VerdictOptions {
  /** Client errors are expected (e.g. sweeping past a server's limits): they do not fail the sweep. */
  allowErrors: boolean;
  thresholds: readonly Threshold[];
  /** Runs that stayed noisy fail the sweep. */
  failOnNoise: boolean;
}

export interface Verdict {
  readonly code: number;
  /** One line saying why, for stderr (printed even with --quiet); null for exit 0. */
  readonly reason: string | null;
}

function errorKinds(e: ErrorCounts): string {
  const kinds: [string, number][] = [['refused', e.refused], ['reset', e.reset], ['closed', e.closed], ['timeout', e.timeout], ['wrong value', e.wrongResult], ['other', e.other]];
  for (const [code, n] of Object.entries(e.protocol)) kinds.push([code, n]);
  return kinds.filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
}

function sumErrors(all: readonly ErrorCounts[]): ErrorCounts {
  const out: ErrorCounts = { total: 0, refused: 0, reset: 0, closed: 0, timeout: 0, protocol: {}, wrongResult: 0, other: 0 };
  for (const e of all) {
    out.total += e.total;
    out.refused += e.refused;
    out.reset += e.reset;
    out.closed += e.closed;
    out.timeout += e.timeout;
    out.wrongResult += e.wrongResult;
    out.other += e.other;
    for (const [code, n] of Object.entries(e.protocol)) out.protocol[code] = (out.protocol[code] ?? 0) + n;
  }
  return out;
}

/**
 * The exit code of a finished sweep and the one line that explains it. Precedence: a signal, then a failed
 * or invalid sweep, then client errors, then thresholds, then noise (the first that applies wins: a dead
 * target fails its thresholds too, and "the target refused every connection" is the useful line).
 */
export function verdict(results: SweepResults, valid: boolean, options: VerdictOptions): Verdict {
  if (results.abortReason === 'SIGINT') return { code: LOADGEN_EXIT_CODES.sigint, reason: 'interrupted (SIGINT); partial results written' };
  if (results.abortReason === 'SIGTERM') return { code: LOADGEN_EXIT_CODES.sigterm, reason: 'stopped (SIGTERM); partial results written' };
  if (!valid) return { code: LOADGEN_EXIT_CODES.failure, reason: 'the results do not match the schema (written anyway)' };
  if (!results.complete) return { code: LOADGEN_EXIT_CODES.failure, reason: `incomplete: ${results.abortReason}` };
  const runs = results.cells.flatMap((c) => c.runs);
  const failed = runs.filter((r) => r.errors.total > 0);
  if (failed.length > 0 && !options.allowErrors) {
    const sample = failed.flatMap((r) => r.errorSamples)[0];
    return {
      code: LOADGEN_EXIT_CODES.runErrors,
      reason: `${failed.length} of ${runs.length} runs had client errors (${errorKinds(sumErrors(failed.map((r) => r.errors)))})${sample ? `; first: ${sample}` : ''}`,
    };
  }
  const broken = checkThresholds(results, options.thresholds);
  if (broken.length > 0) {
    return { code: LOADGEN_EXIT_CODES.threshold, reason: `${broken.length} of ${options.thresholds.length} threshold(s) failed: ${broken.map((b) => b.reason).join('; ')}` };
  }
  const noisy = runs.filter((r) => r.noise?.noisy === true);
  if (noisy.length > 0 && options.failOnNoise) {
    return { code: LOADGEN_EXIT_CODES.noisy, reason: `${noisy.length} of ${runs.length} runs stayed noisy (other processes used more CPU than --noise-threshold allows)` };
  }
  return { code: LOADGEN_EXIT_CODES.ok, reason: null };
}
