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
