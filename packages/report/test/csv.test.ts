import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { combineInputs, inputFromResults, renderReport, runsCsv, RUNS_CSV_COLUMNS, RUNS_CSV_NAME } from '../src/index.ts';
import { RUNS_CSV_LEFT_OUT, csvField } from '../src/csv.ts';
import { RESULTS_JSON_SCHEMA } from '@socketlab/results';
import { noiseRecord, smallResults } from './helpers.ts';

/** An RFC 4180 reader, for the round trip: quoted fields may hold commas, doubled quotes, CR and LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
      } else {
        field += ch;
        i++;
      }
    } else if (ch === '"') {
      assert.equal(field, '', 'a quote only opens a field');
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      assert.ok(ch !== '\r' && ch !== '\n', `bare line break at ${i}`);
      field += ch;
      i++;
    }
  }
  assert.equal(quoted, false, 'unterminated quote');
  assert.deepEqual([row, field], [[], ''], 'the last record ends with CRLF');
  return rows;
}

describe('runs.csv', () => {
  it('has a header and one row per run, in the report\'s order, every field of the run', () => {
    const r = smallResults();
    const csv = runsCsv(combineInputs([inputFromResults(r)]));
    const rows = parseCsv(csv);
    const runs = r.cells.reduce((n, c) => n + c.runs.length, 0);
    assert.equal(rows.length, runs + 1);
    assert.deepEqual(rows[0], RUNS_CSV_COLUMNS.map((c) => c.name));
    assert.ok(rows.every((row) => row.length === RUNS_CSV_COLUMNS.length), 'every row has every column');
    const col = (name: string) => RUNS_CSV_COLUMNS.findIndex((c) => c.name === name);
    // The first data row is the first run of the first cell in workload, design, N order.
    const first = r.cells.find((c) => c.workload === 'sleep' && c.design === 'single-iterative' && c.clients === 2)!;
    const row = rows[1]!;
    assert.deepEqual([row[col('input')], row[col('workload')], row[col('design')], row[col('clients')], row[col('run')]], ['sweep.json', 'sleep', 'single-iterative', '2', '0']);
    assert.equal(Number(row[col('totalMs')]), first.runs[0]!.totalMs);
    assert.equal(Number(row[col('latencyP99Us')]), first.runs[0]!.tasks.latencyUs.p99);
    assert.equal(Number(row[col('serverPeakRssBytes')]), first.runs[0]!.server!.peakRssBytes);
    assert.equal(row[col('saturated')], String(first.runs[0]!.loadgen.saturated));
    // This file predates the noise record: those fields are empty, not zero.
    assert.deepEqual([row[col('noisy')], row[col('foreignCpuShare')], row[col('loadAverageStart1')]], ['', '', '']);
    // Every total time in the file appears once.
    const totals = rows.slice(1).map((x) => x[col('totalMs')]).sort();
    assert.deepEqual(totals, r.cells.flatMap((c) => c.runs.map((x) => (x.totalMs === null ? '' : String(x.totalMs)))).sort());
  });

  it('round-trips commas, quotes and line breaks, and leaves nulls empty', () => {
    const r = smallResults();
    const run = r.cells[0]!.runs[1]!;
    const nasty = 'client 3: "ERR X, then Y"\r\nsecond line, with a comma';
    run.errorSamples = [nasty];
    run.errors = { ...run.errors, total: 2, refused: 1, protocol: { SOCKETLAB_ERR_BACKLOG_FULL: 1 } };
    run.noise = noiseRecord(0.6);
    const incomplete = r.cells[1]!.runs[0]!;
    incomplete.complete = false;
    incomplete.totalMs = null;
    const rows = parseCsv(runsCsv(combineInputs([inputFromResults(r)])));
    const col = (name: string) => RUNS_CSV_COLUMNS.findIndex((c) => c.name === name);
    const withError = rows.slice(1).find((x) => x[col('firstError')] !== '')!;
    assert.equal(withError[col('firstError')], nasty);
    assert.equal(withError[col('errorsProtocol')], 'SOCKETLAB_ERR_BACKLOG_FULL=1');
    assert.deepEqual([withError[col('noisy')], withError[col('foreignCpuShare')], withError[col('loadAverageEnd15')]], ['true', '0.6', '0.6']);
    const nullRow = rows.slice(1).find((x) => x[col('complete')] === 'false')!;
    assert.equal(nullRow[col('totalMs')], '');
    assert.equal(csvField('a"b'), '"a""b"');
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField(null), '');
  });

  it('is written beside the report, which links it', async () => {
    const report = await renderReport([inputFromResults(smallResults())]);
    assert.ok(report.files.has(RUNS_CSV_NAME));
    assert.match(report.markdown, /\[runs\.csv\]\(runs\.csv\)/);
    assert.equal(report.files.get(RUNS_CSV_NAME), runsCsv(report.analysis.dataset));
  });

  it('covers every field of a run in the schema: a column, or left out with a reason', () => {
    type Node = { properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; type?: unknown };
    const schema = RESULTS_JSON_SCHEMA as Node;
    const run = schema.properties!.cells!.items!.properties!.runs!.items!;
    const leaves: string[] = [];
    const walk = (n: Node, path: string) => {
      const obj = n.properties ? n : n.anyOf?.find((x) => x.properties);
      if (obj?.properties) for (const [k, v] of Object.entries(obj.properties)) walk(v, path ? `${path}.${k}` : k);
      else leaves.push(path);
    };
    walk(run, '');
    const covered = new Set([...RUNS_CSV_COLUMNS.map((c) => c.from).filter((f): f is string => f !== null), ...Object.keys(RUNS_CSV_LEFT_OUT)]);
    assert.deepEqual(leaves.filter((l) => !covered.has(l)), [], 'fields with no column and no reason');
    assert.deepEqual([...covered].filter((c) => !leaves.includes(c)), [], 'columns from fields the schema does not have');
    assert.ok(leaves.length > 50, `walked the run schema (${leaves.length} fields)`);
  });

  it('docs/results-format.md lists every column', () => {
    const docs = readFileSync(new URL('../../../docs/results-format.md', import.meta.url), 'utf8');
    const section = docs.slice(docs.indexOf('## CSV export'));
    assert.ok(section.length > 20, 'a "CSV export" section');
    for (const c of RUNS_CSV_COLUMNS) assert.ok(section.includes(`\`${c.name}\``), c.name);
  });
});
