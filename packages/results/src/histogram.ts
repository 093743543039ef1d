import * as hdr from 'hdr-histogram-js';
import { HISTOGRAM_ENCODING, type HistogramRecord } from './schema.ts';

/**
 * Latency histograms: HdrHistogram with µs values, 3 significant digits, 1 µs to 1 h. Worker processes
 * record into their own, ship it encoded, and the parent merges by adding (autocannon's approach):
 * percentiles of a merged histogram are exact to the histogram's precision, whereas averaging
 * per-worker percentiles is simply wrong.
 */
export const HISTOGRAM_SETTINGS = Object.freeze({
  lowestDiscernibleValue: 1, // µs
  highestTrackableValue: 3_600_000_000, // µs: 1 h
  numberOfSignificantValueDigits: 3 as const,
});

export type Histogram = hdr.Histogram;

/** Word size of the histograms' counts: what they are built with, and so what decoding must use. */
const BIT_BUCKET_SIZE = 32;

export function createHistogram(): Histogram {
  return hdr.build({ ...HISTOGRAM_SETTINGS, bitBucketSize: BIT_BUCKET_SIZE, autoResize: false, useWebAssembly: false });
}

/** Records a latency in µs (rounded, clamped to the trackable range). */
export function recordUs(h: Histogram, us: number): void {
  const v = Math.min(HISTOGRAM_SETTINGS.highestTrackableValue, Math.max(HISTOGRAM_SETTINGS.lowestDiscernibleValue, Math.round(us)));
  h.recordValue(v);
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  // JS (not WASM) histograms: no explicit destroy() needed, and identical results everywhere.
  return hdr.decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE, false);
}

/** Adds every histogram into a new one. */
export function mergeHistograms(parts: readonly (Histogram | string)[]): Histogram {
  const out = createHistogram();
  for (const p of parts) out.add(typeof p === 'string' ? decodeHistogram(p) : p);
  return out;
}

/** The JSON form: the encoded histogram plus a summary, all in µs. */
export function histogramRecord(h: Histogram): HistogramRecord {
  const n = h.totalCount;
  const at = (p: number) => (n === 0 ? null : h.getValueAtPercentile(p));
  return {
    encoding: HISTOGRAM_ENCODING,
    unit: 'us',
    lowestDiscernibleValue: HISTOGRAM_SETTINGS.lowestDiscernibleValue,
    highestTrackableValue: HISTOGRAM_SETTINGS.highestTrackableValue,
    significantDigits: HISTOGRAM_SETTINGS.numberOfSignificantValueDigits,
    encoded: encodeHistogram(h),
    count: n,
    min: n === 0 ? null : h.minNonZeroValue,
    mean: n === 0 ? null : Math.round(h.mean * 1000) / 1000,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: n === 0 ? null : h.maxValue,
  };
}

/** Latency percentiles of a set of tasks, in ms (the histograms hold µs). */
export interface LatencySummary {
  /** Tasks recorded. */
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Decodes encoded histograms and adds them (the only correct way to combine latency distributions:
 * percentiles cannot be averaged), then reads the percentiles in ms. Null when nothing was recorded.
 */
export function summarizeLatency(encoded: readonly string[]): LatencySummary | null {
  if (encoded.length === 0) return null;
  const total = mergeHistograms(encoded);
  if (total.totalCount === 0) return null;
  const ms = (us: number) => us / 1000;
  return Object.freeze({
    count: total.totalCount,
    p50Ms: ms(total.getValueAtPercentile(50)),
    p90Ms: ms(total.getValueAtPercentile(90)),
    p99Ms: ms(total.getValueAtPercentile(99)),
    maxMs: ms(total.maxValue),
  });
}
