import * as hdr from 'hdr-histogram-js';

/** Latency percentiles of a set of tasks, in ms (the JSON's histograms hold µs). */
export interface LatencySummary {
  /** Tasks recorded. */
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Word size of the decoded histograms' counts (loadgen encodes 32-bit buckets). */
const BIT_BUCKET_SIZE = 32;

/**
 * Decodes loadgen's HDR histograms (V2 compressed, base64) and adds them (the only correct way to
 * combine latency distributions: percentiles cannot be averaged). Null when nothing was recorded.
 */
export function summarizeLatency(encoded: readonly string[]): LatencySummary | null {
  let total: hdr.Histogram | null = null;
  for (const e of encoded) {
    // JS (not WASM) histograms: no explicit destroy() needed, and identical results everywhere.
    const h = hdr.decodeFromCompressedBase64(e, BIT_BUCKET_SIZE, false);
    if (total === null) total = h;
    else total.add(h);
  }
  if (total === null || total.totalCount === 0) return null;
  const ms = (us: number) => us / 1000;
  return Object.freeze({
    count: total.totalCount,
    p50Ms: ms(total.getValueAtPercentile(50)),
    p90Ms: ms(total.getValueAtPercentile(90)),
    p99Ms: ms(total.getValueAtPercentile(99)),
    maxMs: ms(total.maxValue),
  });
}
