import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHistogram, encodeHistogram, histogramRecord, mergeHistograms, recordUs, summarizeLatency } from '../src/index.ts';

function encoded(values: readonly number[]): string {
  const h = createHistogram();
  for (const v of values) recordUs(h, v);
  return encodeHistogram(h);
}

describe('histogram codec', () => {
  it('round-trips and merges by adding', () => {
    const merged = mergeHistograms([encoded([1000, 2000]), encoded([3000])]);
    assert.equal(merged.totalCount, 3);
    const r = histogramRecord(merged);
    assert.equal(r.count, 3);
    assert.equal(r.unit, 'us');
    assert.equal(r.min, 1000);
    assert.equal(r.max, 3001, 'within 0.1 % (3 significant digits)');
  });

  it('summarizes in ms, null when nothing was recorded', () => {
    const s = summarizeLatency([encoded([1000, 2000]), encoded([3000, 4000])]);
    assert.deepEqual(s, { count: 4, p50Ms: 2, p90Ms: 4.001, p99Ms: 4.001, maxMs: 4.001 });
    assert.equal(summarizeLatency([]), null);
    assert.equal(summarizeLatency([encoded([])]), null);
  });

  it('clamps values to the trackable range', () => {
    const h = createHistogram();
    recordUs(h, 0);
    recordUs(h, -5);
    assert.equal(histogramRecord(h).min, 1);
  });
});
