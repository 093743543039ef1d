/**
 * The one rule by which the report (and `compare`) says that one design is faster than another at one N,
 * from the runs' total times, never from the medians alone; loadgen's --budget spends its extra runs where
 * it cannot yet separate two designs. The README of @socketlab/report states it:
 * - fewer than `minRuns` clean runs on either side: **tie** (too few runs to tell);
 * - fewer than `rankTestMinRuns` on either side (the lesson's 3 runs): faster only when the ranges do not
 *   overlap (every run of one is faster than every run of the other);
 * - otherwise a two-sided Mann–Whitney rank test (normal approximation): faster when p < `alpha`.
 */
export const COMPARISON_RULE = Object.freeze({ minRuns: 3, rankTestMinRuns: 5, alpha: 0.05 });

export type Verdict = 'faster' | 'slower' | 'tie';

export interface Comparison {
  /** `a` compared with `b`: `faster` means a's times are lower. */
  readonly verdict: Verdict;
  /** Which test decided: too few runs, the ranges, or the rank test. */
  readonly by: 'too-few-runs' | 'ranges' | 'rank-test';
  /** The rank test's two-sided p-value; null when another test decided. */
  readonly p: number | null;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7: plenty for p < 0.05). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Two-sided p-value of the Mann–Whitney U test of a vs b (mid-ranks for ties), and whether a ranks lower. */
export function mannWhitney(a: readonly number[], b: readonly number[]): { p: number; aLower: boolean } {
  const all = [...a.map((v) => ({ v, a: true })), ...b.map((v) => ({ v, a: false }))].sort((x, y) => x.v - y.v);
  const ranks: number[] = new Array(all.length);
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const rankSumA = all.reduce((s, x, i) => (x.a ? s + ranks[i]! : s), 0);
  const n1 = a.length;
  const n2 = b.length;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  if (sigma === 0) return { p: 1, aLower: false };
  const z = (u - mu) / sigma;
  return { p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), aLower: u < mu };
}

/** Compares two sets of run times (ms) by COMPARISON_RULE. */
export function compareRuns(a: readonly number[], b: readonly number[], rule = COMPARISON_RULE): Comparison {
  if (a.length < rule.minRuns || b.length < rule.minRuns) return { verdict: 'tie', by: 'too-few-runs', p: null };
  if (a.length < rule.rankTestMinRuns || b.length < rule.rankTestMinRuns) {
    const verdict: Verdict = Math.max(...a) < Math.min(...b) ? 'faster' : Math.max(...b) < Math.min(...a) ? 'slower' : 'tie';
    return { verdict, by: 'ranges', p: null };
  }
  const { p, aLower } = mannWhitney(a, b);
  return { verdict: p < rule.alpha ? (aLower ? 'faster' : 'slower') : 'tie', by: 'rank-test', p };
}
