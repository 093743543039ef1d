import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fib } from '@socketlab/protocol';
import { clientRequests, expectedReply, fibEstimatedMs, fibNForMs, fibValue, resolveWorkload, scaledTaskMs } from '../src/workloads.ts';
import { createHistogram, decodeHistogram, encodeHistogram, histogramRecord, mergeHistograms, median, recordUs, stat } from '@socketlab/results';

describe('workloads', () => {
  it('scales the lesson\'s 3000 ms task', () => {
    assert.equal(scaledTaskMs(1), 3000);
    assert.equal(scaledTaskMs(0.005), 15);
    assert.equal(scaledTaskMs(0.00001), 1, 'at least 1 ms');
    assert.deepEqual(resolveWorkload('sleep', 1).tasks, ['SLEEP 3000']);
    assert.deepEqual(resolveWorkload('wait', 0.01).tasks, ['WAIT 30']);
    assert.deepEqual(resolveWorkload('ping', 0.01), { ...resolveWorkload('ping', 1) });
  });

  it('picks FIB n from the reference cost model', () => {
    assert.equal(fibNForMs(9), 30);
    assert.equal(fibNForMs(90), 35);
    assert.equal(fibNForMs(1000), 40);
    assert.equal(fibNForMs(1e9), 44, 'capped at the servers\' maxFibN');
    assert.ok(Math.abs(fibEstimatedMs(35) - 99.8) < 1);
    const w = resolveWorkload('fib', 0.003);
    assert.deepEqual(w.tasks, [`FIB ${w.fibN}`]);
  });

  it('rotates a mix over clients and tasks', () => {
    const mix = resolveWorkload('mix', 0.01);
    assert.deepEqual(mix.tasks, ['SLEEP 30', 'WAIT 30', `FIB ${mix.fibN}`]);
    assert.deepEqual([0, 1, 2, 3].map((i) => clientRequests(mix, i, 1)[0]), ['SLEEP 30', 'WAIT 30', `FIB ${mix.fibN}`, 'SLEEP 30']);
    assert.deepEqual(clientRequests(mix, 1, 3), ['WAIT 30', `FIB ${mix.fibN}`, 'SLEEP 30']);
  });

  it('knows the reply every task should get', () => {
    assert.equal(expectedReply('PING'), 'PONG');
    assert.equal(expectedReply('SLEEP 15'), '15');
    assert.equal(expectedReply('WAIT 007'), '7');
    assert.equal(expectedReply('FIB 9'), '34');
    assert.equal(expectedReply('ECHO a b'), 'a b');
    assert.equal(expectedReply('UPPER straße'), 'STRASSE');
    assert.equal(expectedReply('REVERSE a😀'), '😀a');
    assert.equal(expectedReply('EXIT'), 'Goodbye!');
    assert.equal(expectedReply('INFO'), null);
  });

  it('computes fib(n) like the servers do', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 25 }), (n) => fibValue(n) === fib(n)));
    assert.equal(fibValue(44), 701408733);
  });
});

describe('histograms', () => {
  it('merges by adding: the merge equals one histogram of all values', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { maxLength: 50 }), { minLength: 1, maxLength: 4 }), (parts) => {
        const all = createHistogram();
        const encoded = parts.map((values) => {
          const h = createHistogram();
          for (const v of values) {
            recordUs(h, v);
            recordUs(all, v);
          }
          return encodeHistogram(h);
        });
        const merged = mergeHistograms(encoded);
        assert.equal(merged.totalCount, all.totalCount);
        for (const p of [50, 90, 99, 100]) assert.equal(merged.getValueAtPercentile(p), all.getValueAtPercentile(p));
      }),
      { numRuns: 50 },
    );
  });

  it('summarises in µs, with nulls when empty', () => {
    const h = createHistogram();
    for (const v of [100, 200, 300, 400]) recordUs(h, v);
    const r = histogramRecord(h);
    assert.equal(r.count, 4);
    assert.equal(r.min, 100);
    assert.equal(r.max, 400);
    assert.equal(r.p50, 200);
    assert.equal(decodeHistogram(r.encoded).totalCount, 4);
    const empty = histogramRecord(createHistogram());
    assert.deepEqual([empty.count, empty.min, empty.p50, empty.max], [0, null, null, null]);
  });
});

describe('stats', () => {
  it('takes the median, min and max of the values it has', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([]), null);
    assert.deepEqual(stat([3, null, 1]), { median: 2, min: 1, max: 3, values: [3, null, 1] });
  });
});
