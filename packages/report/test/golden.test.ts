import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readInput, renderReport, type RenderedReport } from '../src/index.ts';
import { SMALL_FIXTURE, checkWellFormedXml, pointLabels } from './helpers.ts';

/**
 * The small fixture's report against the committed golden README. After an intended change to the
 * report, regenerate the golden file and review its diff:
 *   UPDATE_GOLDEN=1 npm test -w @socketlab/report
 */
const GOLDEN = new URL('./fixtures/small.README.md', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';

let report: RenderedReport;

before(async () => {
  report = await renderReport([readInput(fileURLToPath(SMALL_FIXTURE), 0)]);
});

describe('the small fixture\'s report', () => {
  it('README.md matches the golden file', () => {
    if (UPDATE) writeFileSync(GOLDEN, report.markdown);
    assert.equal(report.markdown, readFileSync(GOLDEN, 'utf8'), 'README differs from test/fixtures/small.README.md (UPDATE_GOLDEN=1 to accept)');
  });

  it('has the lesson\'s tables, with every run of the data', () => {
    const md = report.markdown;
    const a = report.analysis;
    for (const w of a.workloads) {
      for (const d of w.designs) {
        for (const c of d.cells) {
          if (c.medianTotalMs === null) continue;
          const n = String(c.clients).padEnd(Math.max(...a.dataset.clients.map((x) => String(x).length)));
          assert.ok(md.includes(`${n} -> ${(c.medianTotalMs / 1000).toFixed(6)}s`), `${d.design} ${w.workload.name} N=${c.clients} median line`);
          for (const r of c.runs) if (r.totalMs !== null) assert.ok(md.includes((r.totalMs / 1000).toFixed(6)), `${r.label} value`);
        }
      }
    }
    assert.match(md, /^Run1 -> [0-9. ]+$/m);
  });

  it('renders one well-formed SVG per chart, every run a point with its values', () => {
    assert.ok(report.charts.length >= 10, `${report.charts.length} charts`);
    const names = new Set<string>();
    for (const c of report.charts) {
      assert.ok(!names.has(c.file), `unique name ${c.file}`);
      names.add(c.file);
      assert.ok(checkWellFormedXml(c.svg) > 10, c.file);
      assert.match(c.svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.ok(!c.svg.includes('…'), `${c.file} has a truncated label`);
      assert.ok(report.markdown.includes(`](${c.file})`), `${c.file} is in the README`);
    }
    for (const w of report.analysis.workloads) {
      for (const d of w.designs) {
        const chart = report.charts.find((c) => c.file === `total-time-${w.workload.name}-${d.design}.svg`)!;
        const runs = d.cells.flatMap((c) => c.runs.filter((r) => r.totalMs !== null).map((r) => ({ n: c.clients, s: r.totalMs! / 1000 })));
        const labels = pointLabels(chart.svg);
        assert.equal(labels.length, runs.length, `${chart.file}: one point per run`);
        assert.equal(chart.runPoints, runs.length);
        for (const r of runs) {
          assert.ok(labels.some((l) => l.includes(`clients (N): ${r.n};`) && l.includes(`total time (s): ${Number(r.s.toFixed(6))}`)), `${chart.file}: a point for N=${r.n} at ${r.s}`);
        }
      }
      const all = report.charts.find((c) => c.file === `all-designs-${w.workload.name}.svg`)!;
      const medians = w.designs.flatMap((d) => d.cells.filter((c) => c.medianTotalMs !== null));
      assert.equal(pointLabels(all.svg).length, medians.length, `${all.file}: one point per median`);
    }
  });

  it('axes carry units', () => {
    const text = report.charts.map((c) => c.svg).join('\n');
    for (const title of ['clients (N)', 'total time (s)', 'median total time (s)', 'marginal cost (ms per extra client)', 'task latency (ms)', 'server CPU per run (ms, median)', 'server peak RSS (MiB, median)']) {
      assert.ok(text.includes(`>${title}<`), title);
    }
  });

  it('index.html inlines every chart, with unique ids and nothing from the network', () => {
    const html = report.html;
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    for (const c of report.charts) assert.ok(html.includes(c.svg.trim()), `${c.file} inline`);
    assert.equal((html.match(/<svg /g) ?? []).length, report.charts.length);
    assert.ok(!/<img\b/.test(html), 'no <img>');
    assert.ok(!/<(script|link)\b/i.test(html), 'no scripts or stylesheets');
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'no external URLs');
    assert.ok(!/url\((https?:)?\/\//.test(html), 'no external CSS urls');
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(m[1]), `url(#${m[1]}) resolves`);
    for (const m of html.matchAll(/href="#([^"]+)"/g)) assert.ok(ids.includes(m[1]), `#${m[1]} resolves`);
  });

  it('is deterministic: rendering again gives the same bytes', async () => {
    const again = await renderReport([readInput(fileURLToPath(SMALL_FIXTURE), 0)]);
    assert.deepEqual([...again.files.keys()], [...report.files.keys()]);
    for (const [name, content] of report.files) assert.equal(again.files.get(name), content, name);
  });
});
