import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { SweepResults } from '@socketlab/results';
import { analyse, combineInputs, inputFromResults } from '../src/index.ts';
import { renderReport } from '../src/report.ts';
import { kneeOf, littleCheck, modelComparisons, type OpenCurve, type OpenPoint } from '../src/open-analysis.ts';
import { kneeSentence } from '../src/markdown/open-section.ts';
import type { CellStats } from '../src/analysis.ts';
import { checkWellFormedXml, smallResults } from './helpers.ts';

/** The open fixture: a real open-model sweep (see fixtures/README.md). A fresh copy each call. */
function openResults(): SweepResults {
  return JSON.parse(readFileSync(new URL('./fixtures/open.json', import.meta.url), 'utf8')) as SweepResults;
}

function point(rate: number, p99: number, over: Partial<OpenPoint> = {}): OpenPoint {
  return {
    rate, ratePercent: null, connections: 4, runs: 1, throughput: rate, offeredRate: rate, responseP50Ms: p99 / 2, responseP99Ms: p99, responseMeanMs: p99 / 2,
    serviceP50Ms: 0.5, serviceP99Ms: 1, pacingLagP99Ms: 1, arrivals: rate, sentLate: 0, dropped: 0, timedOut: 0, errors: 0, saturated: false, generatorLimited: false, noisy: false,
    little: { measured: 1, predicted: 1, deviation: 0, holds: true }, ...over,
  };
}

describe('open model in the report: the knee rule', () => {
  it('is the highest rate up to which every rate kept up within the p99 factor', () => {
    const pts = [point(100, 2), point(200, 3), point(400, 7), point(800, 40), point(1600, 5)];
    const k = kneeOf(pts);
    assert.equal(k.knee?.rate, 400, '800/s has a p99 20× the lowest rate\'s; a healthy 1600/s after it does not count');
    assert.equal(k.kneeNote, null);
    const c: OpenCurve = { design: 'single-event-loop', workload: 'ping', points: pts, ...k };
    assert.match(kneeSentence(c), /knee of single-event-loop is at 400\/s.*At the next rate, 800\/s, the response p99 rose to 40\.0 ms, 20× the lowest rate's/);
  });

  it('stops at a saturated or generator-limited rate, has none when the lowest is one, and says when every rate kept up', () => {
    assert.equal(kneeOf([point(100, 2), point(200, 2, { saturated: true, throughput: 150 }), point(300, 2)]).knee?.rate, 100);
    assert.equal(kneeOf([point(100, 2, { generatorLimited: true }), point(200, 2)]).knee, null);
    assert.deepEqual(kneeOf([point(100, 2), point(200, 2)]), { knee: point(200, 2), kneeNote: 'all-healthy' });
  });
});

describe('open model in the report: comparisons and Little\'s law', () => {
  it('pairs a closed cell with the open point nearest its throughput, within the match tolerance', () => {
    const curve: OpenCurve = { design: 'mt-pool', workload: 'sleep', points: [point(100, 10), point(180, 900), point(400, 3000)], knee: null, kneeNote: null };
    const cell = (clients: number, totalMs: number, p99: number) => ({ design: 'mt-pool', workload: 'sleep', clients, medianTotalMs: totalMs, latency: { count: clients, p50Ms: p99 / 2, p90Ms: p99, p99Ms: p99, maxMs: p99 } }) as unknown as CellStats;
    // 20 tasks in 100 ms: 200/s, nearest 180/s (ratio 1.11); 2 tasks in 100 ms: 20/s, nothing within 25 %.
    const out = modelComparisons([cell(20, 100, 95), cell(2, 100, 50)], [curve], 1);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.closedClients, 20);
    assert.equal(out[0]!.open.rate, 180);
    assert.equal(out[0]!.closedThroughput, 200);
  });

  it('checks L = λW on the real runs, and flags a cell whose generator count disagrees', () => {
    const r = openResults();
    const runs = r.cells.map((c) => c.runs[0]!);
    for (const run of runs) assert.equal(littleCheck([run]).holds, true, JSON.stringify(littleCheck([run])));
    const broken = structuredClone(runs[1]!);
    broken.open!.meanInSystem *= 1.5;
    const check = littleCheck([broken]);
    assert.equal(check.holds, false);
    assert.ok(Math.abs(check.deviation - 1 / 3) < 0.01, `deviation ${check.deviation}`);
  });
});

describe('open model in the report: rendering', () => {
  it('renders an open-only sweep: the open section and its chart, no closed-model section, nothing crashes', { timeout: 60_000 }, async () => {
    const report = await renderReport([inputFromResults(openResults())]);
    const md = report.markdown;
    assert.ok(!md.includes('## Workload:'), 'no closed-model workload section without closed cells');
    assert.match(md, /## Latency vs throughput \(open model\)/);
    assert.match(md, /!\[Latency vs throughput, open model, per design, ping\]\(latency-vs-throughput-ping\.svg\)/);
    assert.match(md, /No knee for single-event-loop: even the lowest rate, 100\/s, was not healthy \(loadgen could not keep its pace\)/);
    assert.match(md, /It holds within 5 % in 3 of 3 cells\./);
    assert.match(md, /This data has open-model cells only/);
    assert.match(md, /\| 400 \| – \| 399 \|/);
    assert.match(md, /--model open --rates 100,200,400/);
    assert.ok(!md.includes('0 runs: 0 complete'), 'no empty closed-model run count');
    const svg = report.files.get('latency-vs-throughput-ping.svg')!;
    assert.ok(checkWellFormedXml(svg) > 10);
    // 3 rates × 3 series, and a red ring on each generator-limited rate's response p99.
    assert.equal((svg.match(/aria-label="achieved throughput \(requests\/s\): [0-9.]+; latency \(ms\): [0-9.]+; series:/g) ?? []).length >= 9, true);
    assert.equal((svg.match(/aria-label="achieved throughput \(requests\/s\): [0-9.]+; latency \(ms\): [0-9.]+"/g) ?? []).length, 3);
    const again = await renderReport([inputFromResults(openResults())]);
    assert.equal(again.markdown, md, 'the same input gives the same report');
  });

  it('keeps the closed-model sections of a closed sweep unchanged when an open sweep is added, and vice versa', { timeout: 120_000 }, async () => {
    const closedOnly = await renderReport([inputFromResults(smallResults())]);
    const both = await renderReport([inputFromResults(smallResults(), 0), inputFromResults(openResults(), 1)]);
    const section = (md: string, from: string, to: string) => md.slice(md.indexOf(from), md.indexOf(to, md.indexOf(from) + 1));
    for (const w of ['sleep', 'fib']) {
      const next = w === 'sleep' ? '## Workload: fib' : '## ';
      assert.equal(section(both.markdown, `## Workload: ${w}`, next), section(closedOnly.markdown, `## Workload: ${w}`, next), `closed section ${w}`);
    }
    assert.match(both.markdown, /## Latency vs throughput \(open model\)/);
    assert.match(both.markdown, /No closed-model cell here has a throughput within 25 %/);
    for (const name of closedOnly.files.keys()) if (name.endsWith('.svg')) assert.equal(both.files.get(name), closedOnly.files.get(name), name);
    // The open cells do not leak into the closed model's axes.
    const a = analyse(combineInputs([inputFromResults(smallResults(), 0), inputFromResults(openResults(), 1)]), 0.5);
    assert.deepEqual(a.dataset.clients, [2, 4, 6]);
    assert.equal(a.missing.length, 0);
    assert.equal(a.open?.workloads.length, 1);
  });

  it('sets the two models side by side when a closed cell matches an open one\'s throughput', { timeout: 60_000 }, async () => {
    // A closed sweep of the same design and workload, made from the small fixture's shape: 4 clients × 1
    // task in 20 ms is 200/s, next to the open cell at 200/s.
    const open = openResults();
    const closed = smallResults();
    const proto = closed.cells.find((c) => c.design === 'mt-pool' && c.clients === 4)!;
    closed.config.designs = ['single-event-loop'];
    closed.config.workloads = open.config.workloads;
    closed.config.clients = [4];
    const cell = structuredClone(proto);
    cell.design = 'single-event-loop';
    cell.workload = 'ping';
    for (const r of cell.runs) {
      r.totalMs = 20;
      r.tasks.latencyUs = open.cells[1]!.runs[0]!.open!.serviceUs; // some real PING latencies
      r.errors.total = 0;
      r.noise = undefined;
    }
    closed.cells = [cell];
    const report = await renderReport([inputFromResults(closed, 0), inputFromResults(open, 1)]);
    assert.match(report.markdown, /single-event-loop × ping: at about 200\/s, the closed model \(N = 4\) reports a p99 of [0-9.]+ ms; the open model at 200\/s \(200\/s achieved\) a response p99 of 128 ms/);
  });
});
