import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startServer, type Server } from '@socketlab/server-single';
import { buildReport } from '@socketlab/report';
import {
  createHistogram, decodeHistogram, encodeHistogram, histogramRecord, mergeHistograms, recordUs, validateResults,
  type Histogram, type SweepResults,
} from '@socketlab/results';
import { resolveConfig } from '../src/index.ts';
import { shareOf } from '../src/shard/contract.ts';
import { mergeShardResults } from '../src/shard/merge.ts';
import { N, SHARDS, shardedSweep } from './shard-sweep.ts';

/** The bucket view of hdr-histogram-js's JS histograms (what createHistogram builds), not in its Histogram interface. */
type Buckets = { countsArrayLength: number; getCountAtIndex(index: number): number };

/** True if two histograms hold the same count in every bucket. */
function sameBuckets(ha: Histogram, hb: Histogram): boolean {
  const [a, b] = [ha as unknown as Buckets, hb as unknown as Buckets];
  const length = Math.max(a.countsArrayLength, b.countsArrayLength);
  for (let i = 0; i < length; i++) {
    const x = i < a.countsArrayLength ? a.getCountAtIndex(i) : 0;
    const y = i < b.countsArrayLength ? b.getCountAtIndex(i) : 0;
    if (x !== y) return false;
  }
  return true;
}

describe('merge of a real sharded sweep (3 shards × N=7, rendezvous and server on 127.0.0.1)', () => {
  let server: Server;
  let shards: SweepResults[];
  let merged: SweepResults;
  const dir = mkdtempSync(join(tmpdir(), 'socketlab-merge-'));

  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
    shards = await shardedSweep(`127.0.0.1:${server.address.port}`);
    merged = mergeShardResults(shards);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each shard ran its integral share of N, recorded its identity and each run\'s start', () => {
    for (const [i, s] of shards.entries()) {
      assert.deepEqual(validateResults(s).errors, []);
      assert.equal(s.complete, true, s.abortReason ?? '');
      assert.deepEqual([s.shard!.index, s.shard!.count, s.shard!.source, s.shard!.node, s.shard!.sweepId], [i, SHARDS, 'flag', `n${i + 1}`, shards[0]!.shard!.sweepId]);
      assert.equal(s.cells[0]!.clients, N, 'the cell keeps the sweep\'s N');
      for (const run of s.cells[0]!.runs) {
        assert.equal(run.clients.count, shareOf(N, i, SHARDS).count);
        assert.ok(run.sync, 'run.sync recorded');
        assert.equal(run.sync.agreedReleaseAt, shards[0]!.cells[0]!.runs[run.index]!.sync!.agreedReleaseAt, 'one agreed start per run');
        // No shard releases before the agreed time (its own clock, corrected by its offset).
        assert.ok(run.sync.releaseErrorMs >= 0, `released ${run.sync.releaseErrorMs} ms before the agreed start`);
      }
    }
  });

  it('merges into a valid document: N clients, summed counts, the exact histogram, totals from the agreed release', () => {
    assert.deepEqual(validateResults(merged).errors, []);
    assert.equal(merged.complete, true);
    assert.equal(merged.shard, undefined);
    assert.deepEqual(merged.merged!.shards.map((s) => s.index), [0, 1, 2]);
    for (const [r, run] of merged.cells[0]!.runs.entries()) {
      const parts = shards.map((s) => s.cells[0]!.runs[r]!);
      assert.equal(run.clients.count, N);
      assert.equal(run.clients.connectMs.length, N);
      assert.equal(run.clients.completed, parts.reduce((a, p) => a + p.clients.completed, 0));
      assert.equal(run.tasks.ok, parts.reduce((a, p) => a + p.tasks.ok, 0));
      assert.equal(run.tasks.latencyUs.count, parts.reduce((a, p) => a + p.tasks.latencyUs.count, 0));
      assert.ok(sameBuckets(decodeHistogram(run.tasks.latencyUs.encoded), mergeHistograms(parts.map((p) => p.tasks.latencyUs.encoded))));
      const err = parts.map((p) => p.sync!.releaseErrorMs);
      assert.equal(run.releaseAt, parts[0]!.sync!.agreedReleaseAt);
      assert.equal(run.totalMs, Math.round(Math.max(...parts.map((p, i) => p.totalMs! + err[i]!)) * 1000) / 1000);
      assert.equal(run.shards!.startSkewMs, Math.round((Math.max(...err) - Math.min(...err)) * 1000) / 1000);
      assert.deepEqual(run.shards!.parts.map((p) => p.loadgen), parts.map((p) => p.loadgen), 'each shard\'s loadgen CPU and saturation kept');
      assert.equal(run.loadgen.saturated, parts.some((p) => p.loadgen.saturated));
      // Per-client times: shard i's, shifted from its own release to the agreed one, in shard order.
      const expected = parts.flatMap((p, i) => p.clients.completionMs.map((v) => (v === null ? null : Math.round(Math.max(0, v + err[i]!) * 1000) / 1000)));
      assert.deepEqual(run.clients.completionMs, expected);
      // The timelines too (every shard records one at N = 7), shifted but not clamped.
      assert.deepEqual(run.clients.timeline!.replyMs, parts.flatMap((p, i) => p.clients.timeline!.replyMs.map((ts) => ts.map((t) => Math.round((t + err[i]!) * 1000) / 1000))));
      assert.equal(run.clients.timeline!.closeMs.length, N);
    }
    assert.equal(merged.merged!.maxStartSkewMs, Math.max(...merged.cells[0]!.runs.map((r) => r.shards!.startSkewMs)));
  });

  it('keeps the server usage of the lowest shard that sampled the target (--target-pid), else null', () => {
    assert.equal(merged.cells[0]!.runs[0]!.server, null, 'no shard sampled the server');
    const c = shards.map((s) => structuredClone(s));
    const usage = { cpuUserMs: 10, cpuSystemMs: 5, cpuTotalMs: 15, peakRssBytes: 1 << 20, peakProcesses: 1, peakThreads: 7, samples: 3 };
    c[1]!.cells[0]!.runs[0]!.server = usage;
    c[2]!.cells[0]!.runs[0]!.server = { ...usage, cpuTotalMs: 99 };
    assert.deepEqual(mergeShardResults(c).cells[0]!.runs[0]!.server, usage);
  });

  it('the report reads the merged file like any other', { timeout: 60_000 }, async () => {
    const file = join(dir, 'merged.json');
    writeFileSync(file, JSON.stringify(merged));
    const out = join(dir, 'report');
    await buildReport({ inputs: [file], outDir: out, copyInputs: false });
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(readme, /external/);
    assert.match(readme, /N = 7|7 clients|\| 7 \|/);
    // …and explains the shards: how many, and one row each with its share of N = 7 (3, 2, 2).
    assert.match(readme, /## Sharded run\n\nThis sweep ran as \*\*3 shards\*\*/);
    const section = readme.slice(readme.indexOf('## Sharded run'));
    assert.deepEqual([0, 1, 2].map((i) => new RegExp(`^\\| ${i} \\| [^|]+ \\| (\\d+) \\|`, 'm').exec(section)?.[1]), ['3', '2', '2']);
  });

  it('refuses shards of different sweeps, a missing or repeated shard, other configurations and wrong shares, naming what differs', () => {
    // Each shard on its own: the shards' documents share one config object, and structuredClone keeps sharing.
    const clone = () => shards.map((s) => structuredClone(s));
    const cases: [string, () => SweepResults[], RegExp][] = [
      ['missing', () => clone().slice(0, 2), /^shard 2 of 3 missing: every shard's file is needed/],
      ['repeated', () => { const c = clone(); return [c[0]!, c[1]!, c[1]!]; }, /^shard 1 given twice: file 2 and file 3$/],
      ['other sweep', () => { const c = clone(); c[2]!.shard!.sweepId = 'ffffffffffff'; return c; }, /^file 3 is shard 2 of sweep ffffffffffff, but file 1 is of sweep /],
      ['timeScale', () => { const c = clone(); c[1]!.config.timeScale = 0.02; return c; }, /^the shards ran different configurations: config\.timeScale: 0\.01 \(file 1\) vs 0\.02 \(file 2\)$/],
      ['target', () => { const c = clone(); c[2]!.config.target = { host: '127.0.0.2', port: 1 }; return c; }, /config\.target\.host: "127\.0\.0\.1" \(file 1\) vs "127\.0\.0\.2" \(file 3\)/],
      ['runs', () => { const c = clone(); c[1]!.config.runs = 3; return c; }, /config\.runs: 2 \(file 1\) vs 3 \(file 2\)/],
      ['split', () => { const c = clone(); c[0]!.cells[0]!.runs[1]!.clients.count = 2; return c; }, /run 1: file 1 ran 2 clients; shard 0's share of N=7 over 3 shards is 3$/],
      ['not a shard', () => { const c = clone(); delete c[0]!.shard; return c; }, /^file 1 is not a shard's results \(no "shard" field\): it was not written with --shard$/],
      ['already merged', () => [structuredClone(merged)], /it is already merged$/],
    ];
    for (const [name, files, message] of cases) {
      assert.throws(() => mergeShardResults(files()), (err: Error & { code?: string }) => err.code === 'SOCKETLAB_ERR_SHARD_MERGE' && message.test(err.message), name);
    }
    // poolSize follows each machine's cores and does not apply to a target: it may differ.
    const c = clone();
    c[1]!.config.poolSize = 64;
    assert.equal(mergeShardResults(c).complete, true);
  });

  it('property: samples split at random over 1–16 shards merge into the histogram recorded whole, bucket for bucket', () => {
    const template = shards[0]!;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3_600_000_000 }), fc.nat()), { minLength: 0, maxLength: 400 }),
        fc.integer({ min: 1, max: 16 }),
        (samples, count) => {
          const whole = createHistogram();
          const parts = Array.from({ length: count }, () => createHistogram());
          for (const [us, pick] of samples) {
            recordUs(whole, us);
            recordUs(parts[pick % count]!, us);
          }
          // Shard files as a sweep of `count` shards with N = 16 would write them, each with its part.
          const docs = parts.map((h, i) => {
            const d = structuredClone(template);
            d.shard = { ...d.shard!, index: i, count };
            d.config = { ...d.config, clients: [16] };
            d.cells = d.cells.map((cell) => ({
              ...cell,
              clients: 16,
              // Consistent as loadgen writes it: one entry per client, and the histogram counts the OK tasks.
              runs: cell.runs.map((run) => {
                const n = shareOf(16, i, count).count;
                const perClient = Array.from({ length: n }, () => 0);
                return { ...run, clients: { count: n, completed: n, failed: 0, connectMs: perClient, firstReplyMs: perClient, completionMs: perClient }, tasks: { ...run.tasks, expected: h.totalCount, sent: h.totalCount, ok: h.totalCount, latencyUs: histogramRecord(h) } };
              }),
            }));
            return d;
          });
          const m = mergeShardResults(docs.reverse(), docs.map((_, i) => `shard file ${i}`));
          // What one loadgen process writes for these samples: its parent only ever sees its workers'
          // encoded histograms and adds them (measure-run.ts), so min and max are bucket values, not raw.
          const written = mergeHistograms([encodeHistogram(whole)]);
          for (const run of m.cells[0]!.runs) {
            const got = decodeHistogram(run.tasks.latencyUs.encoded);
            assert.ok(sameBuckets(got, whole), 'bucket for bucket');
            const want = histogramRecord(written);
            for (const k of ['count', 'min', 'mean', 'p50', 'p90', 'p99', 'max'] as const) assert.equal(run.tasks.latencyUs[k], want[k], k);
            for (const p of [0, 1, 25, 50, 75, 90, 99, 99.9, 100]) assert.equal(got.getValueAtPercentile(p), written.getValueAtPercentile(p), `p${p}`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('merge of a real sharded open-model sweep (3 shards, 60 requests/s on 6 connections, 127.0.0.1)', () => {
  const RATE = 60;
  const CONNECTIONS = 6;
  const DURATION_MS = 600;
  let server: Server;
  let shards: SweepResults[];
  let merged: SweepResults;

  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
    const target = `127.0.0.1:${server.address.port}`;
    const config = resolveConfig({ target, model: 'open', rates: [RATE], connections: CONNECTIONS, durationMs: DURATION_MS, arrival: 'constant', workloads: ['ping'], runs: 1, quietWaitMs: 0, noiseRetries: 0, loadgenWorkers: 1 });
    shards = await shardedSweep(target, config);
    merged = mergeShardResults(shards);
  });
  after(() => server.close());

  it('each shard ran its integral share of the connections and of the rate, with seeds of its own', () => {
    for (const [i, s] of shards.entries()) {
      assert.deepEqual(validateResults(s).errors, []);
      assert.equal(s.complete, true, s.abortReason ?? '');
      const cell = s.cells[0]!;
      assert.deepEqual([cell.model, cell.open?.rate, cell.clients], ['open', RATE, CONNECTIONS], 'the cell keeps the sweep\'s rate and connections');
      const run = cell.runs[0]!;
      assert.equal(run.open!.targetRate, shareOf(RATE, i, SHARDS).count);
      assert.equal(run.clients.count, shareOf(CONNECTIONS, i, SHARDS).count);
      assert.ok(run.sync && run.sync.releaseErrorMs >= 0, 'released at (not before) the agreed start');
    }
    const seeds = shards.flatMap((s) => s.cells[0]!.runs[0]!.open!.seeds);
    assert.equal(new Set(seeds).size, seeds.length, `every process of the sweep has its own seed (${seeds.join(', ')})`);
  });

  it('merges into one open-model run: the whole rate\'s arrivals, summed counts, added histograms, the parts\' rate shares', () => {
    assert.deepEqual(validateResults(merged).errors, []);
    assert.equal(merged.complete, true);
    const cell = merged.cells[0]!;
    assert.deepEqual([cell.model, cell.open?.rate], ['open', RATE]);
    const run = cell.runs[0]!;
    const parts = shards.map((s) => s.cells[0]!.runs[0]!);
    const o = run.open!;
    // Constant arrivals are counted from the schedule, not from timing: the rate × the duration, exactly.
    assert.equal(o.arrivals, (RATE * DURATION_MS) / 1000);
    assert.equal(o.targetRate, RATE);
    for (const k of ['arrivals', 'sent', 'completed', 'dropped', 'timeouts', 'processes'] as const) assert.equal(o[k], parts.reduce((a, p) => a + p.open![k], 0), k);
    assert.ok(sameBuckets(decodeHistogram(o.serviceUs.encoded), mergeHistograms(parts.map((p) => p.open!.serviceUs.encoded))), 'service times added bucket for bucket');
    assert.ok(sameBuckets(decodeHistogram(run.tasks.latencyUs.encoded), mergeHistograms(parts.map((p) => p.tasks.latencyUs.encoded))), 'response times added bucket for bucket');
    assert.deepEqual(run.shards!.parts.map((p) => p.targetRate), [0, 1, 2].map((i) => shareOf(RATE, i, SHARDS).count));
    assert.equal(run.clients.count, CONNECTIONS);
    const err = parts.map((p) => p.sync!.releaseErrorMs);
    assert.equal(o.windowMs, Math.round(Math.max(...parts.map((p, i) => p.open!.windowMs + err[i]!)) * 1000) / 1000);
    assert.equal(o.generatorLimited, parts.some((p) => p.open!.generatorLimited));
  });

  it('a percentage of capacity: the shards probe together and all derive the same rate from the joint probe', { timeout: 60_000 }, async () => {
    const target = `127.0.0.1:${server.address.port}`;
    const config = resolveConfig({ target, model: 'open', rates: ['50%'], connections: CONNECTIONS, durationMs: 400, probeMs: 300, arrival: 'constant', workloads: ['ping'], runs: 1, quietWaitMs: 0, noiseRetries: 0, loadgenWorkers: 1 });
    const parts = await shardedSweep(target, config);
    const cells = parts.map((p) => p.cells[0]!);
    const probe = cells[0]!.open!.probe!;
    assert.ok(probe.completed > 0, 'the joint probe counted replies');
    for (const c of cells) assert.deepEqual(c.open, cells[0]!.open, 'every shard has the same probe and rate');
    assert.equal(cells[0]!.open!.rate, Math.max(1, Math.round((probe.throughputPerSec * 50) / 100)));
    assert.equal(cells[0]!.open!.ratePercent, 50);
    const m = mergeShardResults(parts);
    assert.deepEqual(validateResults(m).errors, []);
    assert.deepEqual(m.cells[0]!.runs[0]!.shards!.parts.map((p) => p.targetRate), [0, 1, 2].map((i) => shareOf(cells[0]!.open!.rate, i, SHARDS).count));
  });

  it('refuses a shard whose rate is not its share of the cell\'s rate', () => {
    const c = shards.map((s) => structuredClone(s));
    c[1]!.cells[0]!.runs[0]!.open!.targetRate = RATE;
    assert.throws(() => mergeShardResults(c), (err: Error & { code?: string }) => err.code === 'SOCKETLAB_ERR_SHARD_MERGE' && /file 2 ran 60 requests\/s; shard 1's share of 60 requests\/s over 3 shards is 20/.test(err.message));
  });
});
