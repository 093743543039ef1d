import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DESIGNS, type SweepResults } from '@socketlab/results';
import { analyse, combineInputs, inputFromResults, LESSON_CLIENTS, LESSON_SERIES, lessonMedianMs } from '../src/index.ts';
import { FALLBACK_COLOUR, designColour, workloadCharts } from '../src/charts.ts';
import { defaultTitle, renderMarkdown } from '../src/markdown/index.ts';
import { setRuns, smallResults } from './helpers.ts';

/** The small fixture made into a seed-preset sweep: SLEEP 3000 at timeScale 1, N = 10, 20, 30, known totals. */
function seedResults(): SweepResults {
  const r = smallResults();
  const map = new Map([[2, 10], [4, 20], [6, 30]]);
  r.config.preset = 'seed';
  r.config.timeScale = 1;
  r.scale = "timeScale 1: tasks of 3000 ms, the lesson's own size";
  r.config.clients = [10, 20, 30];
  r.config.workloads = r.config.workloads.filter((w) => w.name === 'sleep').map((w) => ({ ...w, nominalTaskMs: 3000, taskMs: 3000, tasks: ['SLEEP 3000'] }));
  r.cells = r.cells.filter((c) => c.workload === 'sleep');
  for (const c of r.cells) c.clients = map.get(c.clients)!;
  setRuns(r, 'single-iterative', (n) => [n * 3000 + 100, n * 3000 + 200, n * 3000 + 300]);
  setRuns(r, 'mp-per-connection', (n) => [3300 + n * 40, 3310 + n * 40, 3320 + n * 40]);
  setRuns(r, 'mt-per-connection', (n) => [3100 + n * 10, 3105 + n * 10, 3110 + n * 10]);
  return r;
}

function markdownOf(r: SweepResults): string {
  return renderMarkdown(analyse(combineInputs([inputFromResults(r)]), 0.5), { title: 'T', charts: [], kneeElasticity: 0.5, logScaleSpread: 10 });
}

describe('the lesson\'s published numbers', () => {
  it('are the lesson\'s, digit for digit (its median of 3 runs for the multi-process and multi-threaded servers)', () => {
    const text = readFileSync(new URL('../src/lesson-data.ts', import.meta.url), 'utf8');
    assert.deepEqual(LESSON_CLIENTS, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    const [single, mp, mt] = LESSON_SERIES;
    assert.deepEqual([single!.design, mp!.design, mt!.design], ['single-process', 'multi-process', 'multi-threaded']);
    // The lesson: "10  -> 30.107380s" … "100 -> 300.446261s".
    assert.equal(lessonMedianMs(single!, 10), 30107.38);
    assert.equal(lessonMedianMs(single!, 100), 300446.261);
    // Multi-process at N = 10: runs 3.165042, 3.158274, 3.164919 → median 3.164919; at 100: 4.150824, 4.166602, 4.203419 → 4.166602.
    assert.equal(lessonMedianMs(mp!, 10), 3164.919);
    assert.equal(lessonMedianMs(mp!, 100), 4166.602);
    // Multi-threaded at N = 10: 3.079222, 3.091435, 3.077185 → 3.079222; at 100: 3.498707, 3.524193, 3.502062 → 3.502062.
    assert.equal(lessonMedianMs(mt!, 10), 3079.222);
    assert.equal(lessonMedianMs(mt!, 100), 3502.062);
    assert.equal(lessonMedianMs(mt!, 15), null);
    for (const s of LESSON_SERIES) assert.ok(s.runsS.every((run) => run.length === LESSON_CLIENTS.length), s.design);
    assert.match(text, /lines 117–128/);
  });

  it('stand beside a seed-preset sweep\'s medians, per N, with the ratio socketlab ÷ lesson', () => {
    const md = markdownOf(seedResults());
    const at = md.indexOf("### Beside the lesson's published numbers (sleep)");
    assert.ok(at > 0, 'the section is there');
    const section = md.slice(at, md.indexOf('### Task latency', at));
    // single-iterative at N = 10: median 30.200 s; the lesson's 30.107380 s → 30200 / 30107.38 = 1.003.
    assert.match(section, /\| 10 \| 30\.107 \| 30\.200 \| 1\.003× \|/);
    // mp-per-connection at N = 20: median 4.110 s; the lesson's 3.262588 → 1.260.
    assert.match(section, new RegExp(`\\| 20 \\| 3\\.263 \\| 4\\.110 \\| ${(4110 / 3262.588).toFixed(3).replace('.', '\\.')}× \\|`));
    // mt-per-connection at N = 30: median 3.405 s; the lesson's median 3.179028 → 1.071.
    assert.match(section, new RegExp(`\\| 30 \\| 3\\.179 \\| 3\\.405 \\| ${(3405 / 3179.028).toFixed(3).replace('.', '\\.')}× \\|`));
    assert.match(section, /Single-Process Server\*\* \(the lesson's lines 117–128\) beside single-iterative/);
    assert.match(section, /Multi-Threaded Server\*\* \(the lesson's lines 140–144, median of its 3 runs\) beside mt-per-connection/);
    // Only the N the sweep has.
    assert.doesNotMatch(section, /\| 40 \|/);
  });

  it('are not shown at another time scale, and the report says why; a non-SLEEP workload says nothing', () => {
    const md = markdownOf(smallResults());
    const sleep = md.slice(md.indexOf('## Workload: sleep'), md.indexOf('## Workload: fib'));
    assert.match(sleep, /### Beside the lesson's published numbers \(sleep\)\n\nThe lesson's published medians, .* are not shown beside this workload: its task is `SLEEP 9` \(timeScale 0\.003\), not the lesson's `SLEEP 3000`\./);
    assert.doesNotMatch(sleep, /\| lesson: /);
    const fib = md.slice(md.indexOf('## Workload: fib'));
    assert.doesNotMatch(fib, /Beside the lesson/);
    // The same numbers with the lesson's task but 2 tasks per client: not the lesson's benchmark either.
    const two = seedResults();
    two.config.tasksPerClient = 2;
    assert.match(markdownOf(two), /not shown beside this workload: each client sends 2 tasks, not one\./);
  });

  it('at another task size, set the time beyond the ideal beside the lesson\'s, Python re-creations included', () => {
    const r = seedResults();
    r.config.timeScale = 0.01;
    r.config.workloads = r.config.workloads.map((w) => ({ ...w, taskMs: 30, tasks: ['SLEEP 30'] }));
    setRuns(r, 'single-iterative', (n) => [n * 30 + 100, n * 30 + 110, n * 30 + 120]);
    setRuns(r, 'mp-per-connection', (n) => [530 + n * 40, 540 + n * 40, 550 + n * 40]);
    // The lesson preset's Python multi-process server, as a user's server of the sweep.
    const mp = r.cells.filter((c) => c.design === 'mp-per-connection').map((c) => ({ ...structuredClone(c), design: 'lesson-mp' }));
    for (const c of mp) for (const [i, run] of c.runs.entries()) run.totalMs = 60 + c.clients * 2 + i;
    r.cells.push(...mp);
    r.config.designs = [...r.config.designs, 'lesson-mp'];
    r.config.servers = [{ name: 'lesson-mp', command: ['python3', '{lesson}/serverMP.py', '--port', '{port}'], port: null }];
    const md = markdownOf(r);
    const section = md.slice(md.indexOf("### Beside the lesson's published numbers (sleep)"), md.indexOf('### Task latency'));
    assert.match(section, /its totals are not shown beside this workload: its task is `SLEEP 30`/);
    // single-iterative at N = 10: median 410 − 10 × 30 = 110; the lesson's 30107.38 − 30000 = 107.
    assert.match(section, /\| 10 \| 107 \| 110 \|/);
    // N = 20: the lesson's multi-process median 3262.588 − 3000 = 263; mp-per-connection 1340 − 30 = 1310; lesson-mp 101 − 30 = 71.
    assert.match(section, /\| N \| lesson: Multi-Process Server \(ms\) \| mp-per-connection \(ms\) \| lesson-mp \(ms\) \|/);
    assert.match(section, /\| 20 \| 263 \| 1310 \| 71 \|/);
  });
});

describe('titles and colours', () => {
  const titleOf = (designs: string[], preset: 'quick' | 'seed' | null = 'quick') => {
    const r = smallResults();
    r.config.designs = designs as SweepResults['config']['designs'];
    r.config.preset = preset;
    return defaultTitle([{ results: r }]);
  };

  it('name what was swept, not the preset, and count designs past three', () => {
    assert.equal(titleOf(['mt-pool', 'mt-per-connection']), 'socketlab report: mt-per-connection, mt-pool × sleep, fib × N = 2–6 × 2 runs');
    assert.doesNotMatch(titleOf(['mt-pool']), /quick/);
    assert.equal(titleOf(['single-iterative', 'mp-pool', 'mt-pool', 'mt-per-connection']), 'socketlab report: 4 designs × sleep, fib × N = 2–6 × 2 runs');
    assert.match(titleOf([...DESIGNS]), new RegExp(`^socketlab report: all ${DESIGNS.length} designs × `));
    assert.match(titleOf([...DESIGNS, 'external']), new RegExp(`^socketlab report: ${DESIGNS.length + 1} designs × `));
  });

  it('give a design the same colour whichever designs the sweep ran; unknown ones a fixed fallback', () => {
    const colours = DESIGNS.map(designColour);
    assert.equal(new Set(colours).size, DESIGNS.length, 'one colour per design');
    assert.ok(!colours.includes(FALLBACK_COLOUR));
    assert.equal(designColour('external'), FALLBACK_COLOUR);
    assert.equal(designColour('no-such-design'), FALLBACK_COLOUR);
    const rangeOf = (designs: string[]) => {
      const r = smallResults();
      r.cells = r.cells.filter((c) => designs.includes(c.design));
      r.config.designs = designs as SweepResults['config']['designs'];
      const a = analyse(combineInputs([inputFromResults(r)]), 0.5);
      const enc = (workloadCharts(a, a.workloads[0]!, 10).allDesigns.spec as { encoding: { color: { scale: { domain: string[]; range: string[] } } } }).encoding.color.scale;
      return new Map(enc.domain.map((d, i) => [d, enc.range[i]]));
    };
    const all = rangeOf(['mt-pool', 'single-iterative', 'mp-per-connection', 'mt-per-connection']);
    const two = rangeOf(['mt-pool', 'mp-per-connection']);
    assert.deepEqual([...two.keys()], ['mp-per-connection', 'mt-pool'], 'catalogue order, not the sweep\'s');
    for (const [d, c] of two) assert.equal(c, all.get(d), d);
    assert.equal(two.get('mt-pool'), designColour('mt-pool'));
  });
});
