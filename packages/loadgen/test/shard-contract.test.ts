import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_SHARDS, parseShard, shareOf } from '../src/shard/contract.ts';
import { estimateClock, sleepUntil } from '../src/shard/clock.ts';
import { now } from '../src/client-core.ts';

describe('shareOf: a shard\'s integral share of N clients', () => {
  it('sizes differ by at most 1, add up to N exactly, and follow each other in shard order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: MAX_SHARDS }), (total, count) => {
        const shares = Array.from({ length: count }, (_, i) => shareOf(total, i, count));
        const sizes = shares.map((s) => s.count);
        assert.equal(sizes.reduce((a, b) => a + b, 0), total);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
        let next = 0;
        for (const s of shares) {
          assert.equal(s.first, next, 'contiguous: shard i starts where shard i - 1 ended');
          next += s.count;
        }
      }),
    );
  });

  it('gives the larger shares to the first shards (4 × 25 for 100, 34/33/33 for 100 over 3)', () => {
    assert.deepEqual([0, 1, 2, 3].map((i) => shareOf(100, i, 4)), [{ count: 25, first: 0 }, { count: 25, first: 25 }, { count: 25, first: 50 }, { count: 25, first: 75 }]);
    assert.deepEqual([0, 1, 2].map((i) => shareOf(100, i, 3).count), [34, 33, 33]);
  });

  it('refuses an index outside 0 … count − 1 and a fractional total', () => {
    assert.throws(() => shareOf(10, 4, 4), RangeError);
    assert.throws(() => shareOf(10, -1, 4), RangeError);
    assert.throws(() => shareOf(10.5, 0, 4), RangeError);
    assert.throws(() => shareOf(10, 0, 0), RangeError);
  });
});

describe('parseShard: --shard from a flag or from the engine\'s environment', () => {
  it('reads i/n, slurm (SLURM_PROCID of SLURM_NTASKS) and k8s/n (JOB_COMPLETION_INDEX)', () => {
    assert.deepEqual({ ...parseShard('2/4', '--shard', {}) }, { index: 2, count: 4, source: 'flag', host: parseShard('0/1', '--shard', {}).host, node: null });
    const slurm = parseShard('slurm', '--shard', { SLURM_PROCID: '3', SLURM_NTASKS: '4', SLURMD_NODENAME: 'n2' });
    assert.deepEqual([slurm.index, slurm.count, slurm.source, slurm.node], [3, 4, 'slurm', 'n2']);
    const k8s = parseShard('k8s/5', '--shard', { JOB_COMPLETION_INDEX: '4' });
    assert.deepEqual([k8s.index, k8s.count, k8s.source, k8s.node], [4, 5, 'k8s', null]);
  });

  it('names the flag, and the variable, in its errors', () => {
    const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
      ['4/4', {}, /^--shard: the shard index must be below the count, from 0 to 3 \(got 4\)$/],
      ['0/0', {}, /^--shard: the shard count must be between 1 and 1024/],
      ['first', {}, /^--shard must be i\/n \(e\.g\. 0\/4\), slurm, or k8s\/n \(got "first"\)$/],
      ['slurm', {}, /^--shard: SLURM_NTASKS is not set/],
      ['slurm', { SLURM_NTASKS: '4', SLURM_PROCID: 'x' }, /^--shard: SLURM_PROCID must be a non-negative integer \(got "x"\)$/],
      ['k8s/3', { JOB_COMPLETION_INDEX: '3' }, /^--shard: the shard index must be below the count/],
      ['k8s/3', {}, /^--shard: JOB_COMPLETION_INDEX is not set/],
    ];
    for (const [raw, env, message] of cases) {
      assert.throws(() => parseShard(raw, '--shard', env), (err: Error & { code?: string }) => err.code === 'SOCKETLAB_ERR_INVALID_OPTION' && message.test(err.message), `${raw} ${JSON.stringify(env)}`);
    }
  });
});

describe('clock estimate and sleepUntil', () => {
  it('keeps the exchange with the shortest round trip: offset = t1 − (t0 + t2) / 2', () => {
    // The shard's clock is 50 ms ahead; the second exchange has a slow return leg (its estimate is off by 10).
    const e = estimateClock([
      { t0: 1000, t1: 1051, t2: 1002 },
      { t0: 2000, t1: 2051, t2: 2022 },
      { t0: 3000, t1: 3050.5, t2: 3001 },
    ]);
    assert.deepEqual(e, { offsetMs: 50, rttMs: 1 });
    assert.throws(() => estimateClock([]), RangeError);
  });

  it('sleepUntil resolves at the time asked, never before it', async () => {
    for (const ahead of [0, 3, 25]) {
      const at = now() + ahead;
      await sleepUntil(at);
      assert.ok(now() >= at);
    }
  });
});
