import { readFileSync } from 'node:fs';
import type { SweepResults } from '../src/schema.ts';

/**
 * A small, valid results document (one cell, one run), as loadgen's own test helper built it by hand
 * before the format moved here: a fresh copy each call, so a test may break it.
 */
export function makeResults(): SweepResults {
  return JSON.parse(readFileSync(new URL('./fixtures/one-run.json', import.meta.url), 'utf8')) as SweepResults;
}
