import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CellResult } from '@socketlab/results';
import { preforkSharesParagraph } from '../src/prose.ts';

/** A cell with only what the paragraph reads: its design, N, and each run's completeness and shares. */
function cell(design: string, clients: number, runs: (number[] | null)[]): CellResult {
  return {
    design, clients,
    runs: runs.map((accepted) => {
      if (!accepted) return { complete: true };
      const mean = accepted.reduce((a, b) => a + b, 0) / accepted.length;
      const cv = Math.sqrt(accepted.reduce((a, c) => a + (c - mean) ** 2, 0) / accepted.length) / mean;
      return { complete: true, childShares: { accept: design.replace('mp-prefork-', ''), accepted, cv, maxMinRatio: null } };
    }),
  } as unknown as CellResult;
}

describe('prefork shares paragraph', () => {
  it('is absent without prefork runs', () => {
    assert.equal(preforkSharesParagraph([cell('mp-pool', 10, [null])]), null);
  });

  it('says the OS policy was imbalanced when its median CV reaches the rule, with the worst run\'s counts', () => {
    const text = preforkSharesParagraph([cell('mp-prefork-rr', 10, [[5, 5], [5, 5]]), cell('mp-prefork-os', 10, [[8, 2], [7, 3], [9, 1]])])!;
    assert.match(text, /`mp-prefork-rr`: median coefficient of variation 0 over 2 runs/);
    assert.match(text, /`mp-prefork-os`: median coefficient of variation 0\.600 over 3 runs \(worst 0\.800: 9 \/ 1 connections per child at N = 10\)/);
    assert.match(text, /the operating system's policy \(children accepting from one shared socket\) was imbalanced here \(median 0\.600 ≥ 0\.200\)/);
  });

  it('says the imbalance did not reproduce when the shares were even', () => {
    const text = preforkSharesParagraph([cell('mp-prefork-os', 10, [[5, 5], [6, 4]])])!;
    assert.match(text, /did not reproduce here \(median 0\.100 < 0\.200\)/);
  });
});
