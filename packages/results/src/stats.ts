import type { Stat } from './schema.ts';

/** Median of the values (mean of the two middle ones for an even count); null if none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median, min, max of the non-null values, plus every value in order. */
export function stat(values: readonly (number | null)[]): Stat {
  const present = values.filter((v): v is number => v !== null);
  return {
    median: median(present),
    min: present.length ? Math.min(...present) : null,
    max: present.length ? Math.max(...present) : null,
    values: [...values],
  };
}

/** Rounds to 3 decimals (µs precision for ms values). */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * How evenly connections were shared between children (mp-prefork-*): the coefficient of variation
 * (population standard deviation ÷ mean; 0 = even; null with no connection) and largest ÷ smallest
 * (null when a child got none).
 */
export function shareSpread(counts: readonly number[]): { cv: number | null; maxMinRatio: number | null } {
  const n = counts.length;
  const mean = n ? counts.reduce((a, b) => a + b, 0) / n : 0;
  if (mean === 0) return { cv: null, maxMinRatio: null };
  const sd = Math.sqrt(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / n);
  const min = Math.min(...counts);
  return { cv: round3(sd / mean), maxMinRatio: min === 0 ? null : round3(Math.max(...counts) / min) };
}

/**
 * Seeded PRNG (mulberry32): numbers in [0, 1); the same seed gives the same sequence. Small and fast;
 * its statistical quality is ample for spacing arrivals and shuffling test inputs, and a recorded seed
 * replays them exactly (loadgen's Poisson arrivals, the test fuzzers).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
