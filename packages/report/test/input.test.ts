import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES, SocketlabError } from '@socketlab/protocol';
import { RESULTS_ERROR_CLASSES, ResultsInvalidError } from '@socketlab/results';
import {
  REPORT_ERROR_CLASSES, ReportInputError, ReportMergeError, buildReport, combineInputs, inputFromResults, parseResults, readInput,
} from '../src/index.ts';
import { SMALL_FIXTURE, smallResults } from './helpers.ts';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...docs.matchAll(/^\| `(SOCKETLAB_ERR_[A-Z0-9_]+)` \| report \|/gm)].map((m) => m[1]));
/** Codes docs/errors.md gives to other packages (loadgen's among them, without installing loadgen). */
const otherPackages = [...docs.matchAll(/^\| `(SOCKETLAB_ERR_[A-Z0-9_]+)` \| (?!report \|)/gm)].map((m) => m[1]!);

/** Runs `fn`, expects a SocketlabError with `code` whose message matches every pattern. */
function expectCoded(fn: () => unknown, code: string, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SocketlabError, `a SocketlabError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('report errors', () => {
  it('are SocketlabErrors with stable, new SOCKETLAB_ERR_* codes', () => {
    const others = new Set<string>([...ERROR_CODES, ...RESULTS_ERROR_CLASSES.map((c) => c.code), ...otherPackages]);
    for (const cls of REPORT_ERROR_CLASSES) {
      const err = new cls();
      assert.ok(err instanceof SocketlabError);
      assert.match(err.code, /^SOCKETLAB_ERR_[A-Z0-9_]+$/);
      assert.equal(err.code, cls.code);
      assert.equal(err.name, cls.name);
      assert.ok(err.message.length > 0);
      assert.ok(!others.has(err.code), `${err.code} collides with another package's code`);
      assert.deepEqual(JSON.parse(JSON.stringify(err)), { code: err.code, message: err.message, fatal: false });
    }
    assert.deepEqual([ReportInputError.code, ReportMergeError.code], ['SOCKETLAB_ERR_REPORT_INPUT', 'SOCKETLAB_ERR_REPORT_MERGE']);
  });

  it('are listed in docs/errors.md (rows of package "report"), and only those', () => {
    assert.deepEqual([...documented].sort(), REPORT_ERROR_CLASSES.map((c) => c.code).sort());
  });
});

describe('reading and validating inputs', () => {
  it('reads the fixture: valid, named sweep.json, hashed', () => {
    const input = readInput(SMALL_FIXTURE.pathname, 0);
    assert.equal(input.name, 'sweep.json');
    assert.match(input.sha256, /^[0-9a-f]{64}$/);
    assert.equal(input.results.schemaVersion, 1);
    assert.equal(readInput(SMALL_FIXTURE.pathname, 2).name, 'sweep-3.json');
  });

  // Table-driven: each broken document names the failing field by JSON Pointer.
  const cases: { what: string; mutate: (d: Record<string, unknown> & ReturnType<typeof smallResults>) => void; field: RegExp }[] = [
    { what: 'a wrong type deep inside', mutate: (d) => { (d.cells[0]!.runs[0] as { totalMs: unknown }).totalMs = 'fast'; }, field: /\/cells\/0\/runs\/0\/totalMs must be number or null/ },
    { what: 'a missing field', mutate: (d) => { delete (d.environment as Partial<typeof d.environment>).cores; }, field: /\/environment\/cores is required/ },
    { what: 'an unknown field', mutate: (d) => { (d.config as Record<string, unknown>).colour = 'blue'; }, field: /\/config\/colour is not a known field/ },
    { what: 'an unknown design', mutate: (d) => { (d.cells[1] as { design: string }).design = 'mp-magic'; }, field: /\/cells\/1\/design is "mp-magic": neither a built-in design/ },
    { what: 'another schema version', mutate: (d) => { (d as { schemaVersion: number }).schemaVersion = 3; }, field: /\/schemaVersion is 3; this version of @socketlab\/results reads schemaVersion 1 and 2/ },
    { what: 'a cell of a workload the config lacks', mutate: (d) => { d.config.workloads = d.config.workloads.filter((w) => w.name !== d.cells[0]!.workload); }, field: /\/cells\/0\/workload is "\w+", which \/config\/workloads does not define/ },
  ];
  for (const c of cases) {
    it(`rejects ${c.what} with SOCKETLAB_ERR_RESULTS_INVALID naming the field`, () => {
      const doc = smallResults() as Record<string, unknown> & ReturnType<typeof smallResults>;
      c.mutate(doc);
      expectCoded(() => parseResults(JSON.stringify(doc), 'broken.json'), ResultsInvalidError.code, /^broken\.json: /, c.field);
    });
  }

  it('rejects a file that is missing, a folder, or not JSON with SOCKETLAB_ERR_REPORT_INPUT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-input-'));
    try {
      expectCoded(() => readInput(join(dir, 'nope.json'), 0), ReportInputError.code, /nope\.json: cannot read the loadgen results \(no such file\)/);
      expectCoded(() => readInput(dir, 0), ReportInputError.code, /is a folder, not a file/);
      writeFileSync(join(dir, 'bad.json'), '{"schemaVersion": 1,');
      expectCoded(() => readInput(join(dir, 'bad.json'), 0), ReportInputError.code, /bad\.json: not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('buildReport without any input says how to give one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-empty-'));
    try {
      await assert.rejects(buildReport({ outDir: dir, cwd: dir }), (err: unknown) => {
        assert.ok(err instanceof ReportInputError);
        assert.match(err.message, /no input: .*sweep\.json does not exist; pass a loadgen results file \(--in <file>\), or --latest/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('combining inputs', () => {
  it('pools the runs of a cell found in several inputs', () => {
    const a = inputFromResults(smallResults(), 0);
    const b = inputFromResults(smallResults(), 1);
    const one = combineInputs([a]);
    const two = combineInputs([a, b]);
    assert.equal(two.cells.length, one.cells.length);
    for (let i = 0; i < one.cells.length; i++) assert.equal(two.cells[i]!.runs.length, 2 * one.cells[i]!.runs.length);
    assert.deepEqual(two.clients, one.clients);
    assert.deepEqual(two.designs, one.designs);
  });

  it('refuses sweeps whose workloads differ (SOCKETLAB_ERR_REPORT_MERGE)', () => {
    const other = smallResults();
    other.config.workloads[0]!.tasks = ['SLEEP 999'];
    expectCoded(() => combineInputs([inputFromResults(smallResults(), 0), inputFromResults(other, 1)]), ReportMergeError.code, /workload "\w+" differs between the inputs: sweep\.json sends .*, sweep-2\.json sends SLEEP 999/);
  });

  it('refuses sweeps with another tasksPerClient', () => {
    const other = smallResults();
    other.config.tasksPerClient = 3;
    expectCoded(() => combineInputs([inputFromResults(smallResults(), 0), inputFromResults(other, 1)]), ReportMergeError.code, /sweep-2\.json has tasksPerClient 3/);
  });
});
