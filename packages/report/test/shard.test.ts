import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { median, validateResults, type SweepResults } from '@socketlab/results';
import { inputFromResults, renderReport, runsCsv, combineInputs } from '../src/index.ts';
import { duration, percent } from '../src/format.ts';
import { smallResults } from './helpers.ts';

/** The merged fixture: a real 3-shard sweep merged by `socketlab-loadgen merge` (see fixtures/README.md). A fresh copy each call. */
function mergedResults(): SweepResults {
  return JSON.parse(readFileSync(new URL('./fixtures/merged.json', import.meta.url), 'utf8')) as SweepResults;
}

/** Every shape these tests build must still be a valid results file, so the fixtures cannot drift from the schema. */
function valid(r: SweepResults): SweepResults {
  assert.deepEqual(validateResults(r).errors, []);
  return r;
}

const runsOf = (r: SweepResults) => r.cells.flatMap((c) => c.runs);

/** The "Sharded run" section of a report's Markdown ('' when absent). */
function section(md: string): string {
  const at = md.indexOf('\n## Sharded run\n');
  return at === -1 ? '' : md.slice(at, md.indexOf('\n## ', at + 1));
}

/** The table row of shard `i`. */
function shardRow(text: string, i: number): string[] {
  const line = text.split('\n').find((l) => l.startsWith(`| ${i} | `));
  assert.ok(line, `a row for shard ${i}`);
  return line.slice(2, -2).split(' | ');
}

describe('report: a merged sharded sweep', () => {
  it('the fixture is a merged file the results validator accepts', () => {
    const r = valid(mergedResults());
    assert.equal(r.merged?.count, 3);
    assert.ok(runsOf(r).every((run) => run.shards?.parts.length === 3));
  });

  it('gets a "Sharded run" section with the shards, the start skew, the clock offsets and a row per shard', async () => {
    const r = mergedResults();
    const { markdown } = await renderReport([inputFromResults(r)]);
    const text = section(markdown);
    assert.ok(text, 'the section is there');
    assert.match(markdown, /^Sections: .*\[Sharded run\]\(#sharded-run\) · \[Environment and configuration\]/m);
    assert.match(text, /ran as \*\*3 shards\*\* \(sweep `41afcf574d5c`\), all on host `vm`/);
    // One design (the --target): the summary does not call it the fastest of one.
    assert.match(markdown, /Only \*\*external\*\* was swept: nothing to rank it against\./);
    assert.doesNotMatch(markdown, /is the fastest at every N/);

    const runs = runsOf(r);
    const skews = runs.map((run) => run.shards!.startSkewMs);
    assert.ok(text.includes(`over the 6 runs: min ${duration(Math.min(...skews))}, median ${duration(median(skews)!)}, max ${duration(Math.max(...skews))} (\`maxStartSkewMs\`)`), text);
    const syncs = runs.flatMap((run) => run.shards!.parts.map((p) => p.sync));
    const offset = Math.max(...syncs.map((s) => Math.abs(s.clockOffsetMs)));
    const rtt = Math.max(...syncs.map((s) => s.rttMs));
    assert.ok(text.includes(`at most ${duration(offset)} in absolute value`), 'largest |clockOffsetMs|');
    assert.ok(text.includes(`at most ${duration(rtt / 2)} here (round trips up to ${duration(rtt)})`), 'half the largest rtt');
    assert.match(text, /The shards shared one host, so these offsets are the method's own error/);

    // Shard 0 ran the extra client of N = 7 (3, 2, 2); at N = 3 each ran one.
    assert.match(text, /\| shard \| host \| clients at N = 3, 7 \| own total, median \| release error, median \| loadgen CPU, median \| busiest client process, max \| saturated \|/);
    for (const i of [0, 1, 2]) {
      const parts = runs.map((run) => run.shards!.parts[i]!);
      assert.deepEqual(shardRow(text, i), [
        String(i), 'vm', i === 0 ? '1, 3' : '1, 2',
        duration(median(parts.map((p) => p.totalMs!))!),
        duration(median(parts.map((p) => p.sync.releaseErrorMs))!),
        duration(median(parts.map((p) => p.loadgen.cpuTotalMs))!),
        percent(Math.max(...parts.map((p) => p.loadgen.maxClientUtilization!))),
        'no',
      ]);
    }
    assert.match(text, /release error\*\* is how late it released its clients versus the start every shard agreed on, on shard 0's clock/);
    assert.match(text, /a late shard's lateness is inside the total/);
    assert.match(text, /The environment in this report .* is shard 0's/);
  });

  it('calls out a start skew above 5 % of the median total, and only then', async () => {
    const r = mergedResults();
    const skew = median(runsOf(r).map((run) => run.shards!.startSkewMs))!;
    const total = median(runsOf(r).map((run) => run.totalMs!))!;
    assert.ok(skew / total > 0.05, `the fixture's own skew is ${percent(skew / total)} of its total (the premise of this test)`);
    const caveat = /Caveat: the shards did not start together\.\*\* The median start skew, ([^,]+), is (\d+ %) of the median merged total, ([^ ]+ m?s) \(more than 5 %\)/;
    const m = caveat.exec(section((await renderReport([inputFromResults(r)])).markdown));
    assert.deepEqual(m?.slice(1), [duration(skew), percent(skew / total), duration(total)]);

    // The same sweep with every shard released within 0.1 ms of the others: no caveat.
    const tight = mergedResults();
    for (const run of runsOf(tight)) {
      run.shards!.parts.forEach((p, i) => (p.sync.releaseErrorMs = 0.05 * i));
      run.shards!.startSkewMs = 0.1;
    }
    tight.merged!.maxStartSkewMs = 0.1;
    const text = section((await renderReport([inputFromResults(valid(tight))])).markdown);
    assert.ok(text, 'still a sharded run');
    assert.doesNotMatch(text, /Caveat/);
    assert.match(text, /min 0\.100 ms, median 0\.100 ms, max 0\.100 ms/);
  });

  it('names several hosts and Slurm nodes, an incomplete shard and a saturated one', async () => {
    const r = mergedResults();
    r.merged!.shards.forEach((s, i) => Object.assign(s, { host: `host-${i}`, node: `n${i + 1}` }));
    r.merged!.shards[2]!.complete = false;
    runsOf(r)[4]!.shards!.parts[1]!.loadgen.saturated = true;
    const text = section((await renderReport([inputFromResults(valid(r))])).markdown);
    assert.match(text, /ran as \*\*3 shards\*\* \(sweep `41afcf574d5c`\), on 3 hosts \(`host-0`, `host-1` and `host-2`\), Slurm nodes `n1`, `n2` and `n3`/);
    assert.match(text, /Shard 2 did not complete its sweep/);
    assert.doesNotMatch(text, /shared one host/);
    assert.deepEqual(shardRow(text, 1).slice(0, 2), ['1', 'host-1 (node n2)']);
    assert.equal(shardRow(text, 1).at(-1), 'yes, in 1 of 6 runs');
    assert.equal(shardRow(text, 0).at(-1), 'no');
  });

  it('gives connections and the rate share in the open model', async () => {
    // The open fixture shaped as a 3-shard merge: 4 connections split 2/1/1, each rate in whole requests/s as loadgen's shareOf does.
    const r = JSON.parse(readFileSync(new URL('./fixtures/open.json', import.meta.url), 'utf8')) as SweepResults;
    const split = (rate: number, i: number) => Math.floor(rate / 3) + (i < rate % 3 ? 1 : 0);
    for (const run of runsOf(r)) {
      run.shards = {
        startSkewMs: 0.2,
        parts: [0, 1, 2].map((i) => ({ index: i, clients: i === 0 ? 2 : 1, targetRate: split(run.open!.targetRate, i), totalMs: run.totalMs, sync: { agreedReleaseAt: run.releaseAt, releaseErrorMs: 0.1 * i, clockOffsetMs: 0, rttMs: 0.1 }, loadgen: structuredClone(run.loadgen) })),
      };
    }
    r.merged = { sweepId: 'aaaaaaaaaaaa', count: 3, maxStartSkewMs: 0.2, shards: [0, 1, 2].map((i) => ({ index: i, host: 'vm', node: null, startedAt: r.startedAt, durationMs: r.durationMs, complete: true })) };
    const text = section((await renderReport([inputFromResults(valid(r))])).markdown);
    assert.match(text, /each loading the same server with its share of the connections and of the rate/);
    assert.match(text, /\| shard \| host \| connections \| rate share \| own total, median \|/);
    const rates = runsOf(r).map((run) => run.open!.targetRate);
    const share = (i: number) => percent(rates.reduce((a, x) => a + split(x, i), 0) / rates.reduce((a, x) => a + x, 0));
    assert.deepEqual(shardRow(text, 0).slice(2, 4), ['2', share(0)]);
    assert.deepEqual(shardRow(text, 2).slice(2, 4), ['1', share(2)]);
  });

  it('is absent for an unsharded file, and the HTML page carries it when present', async () => {
    const plain = await renderReport([inputFromResults(smallResults())]);
    assert.equal(section(plain.markdown), '');
    assert.doesNotMatch(plain.markdown, /Sharded run/);
    assert.doesNotMatch(plain.html, /sharded-run/);

    const { html } = await renderReport([inputFromResults(mergedResults())]);
    // Checked with test() rather than match() so a failure does not print the whole page.
    assert.ok(/<h2 id="sharded-run">Sharded run<\/h2>/.test(html), 'the heading, with the anchor the Sections line links to');
    assert.ok(/<blockquote>\n<p><strong>Caveat: the shards did not start together\.<\/strong>/.test(html), 'the caveat, as a banner');
    assert.ok(/<th[^>]*>clients at N = 3, 7<\/th>/.test(html), 'the shard table');
  });

  it('runs.csv gives each merged run its start skew (the parts are left out)', () => {
    const r = mergedResults();
    const lines = runsCsv(combineInputs([inputFromResults(r)])).trimEnd().split('\r\n');
    const col = lines[0]!.split(',').indexOf('shardsStartSkewMs');
    assert.ok(col > 0);
    assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[col])), runsOf(r).map((run) => run.shards!.startSkewMs));
  });
});
