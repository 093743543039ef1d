import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildReport } from '../src/index.ts';
import { REPO_ROOT } from './helpers.ts';

/**
 * The repository ships reports generated from real sweeps: reports/quick/ (from its sweep.json),
 * reports/seed/ (from two sweeps), reports/lesson/ and reports/open/ (one sweep each), reports/sharded/
 * (the two merged files of the CI's Slurm test, closed and open model; those four with a title of their own). Regenerating them the way the maintainers'
 * command does (`npx nx run report:shipped`, the `shipped` script) must give the committed files byte
 * for byte: same data, same report. After an intended change to the report, run that command and commit.
 * They are light folders (`--light`): their data gzip-compressed, the pages linking the SVGs; a `.gz`
 * must inflate to the same bytes (zlib builds may compress alike text differently; the report never
 * rewrites a `.gz` whose text is unchanged).
 */
const SHIPPED = [
  { dir: 'reports/quick/', inputs: ['sweep.json.gz'], title: undefined, preset: 'quick' },
  { dir: 'reports/seed/', inputs: ['sweep.json.gz', 'sweep-2.json.gz'], title: "socketlab report: the lesson's parameters (SLEEP 3000)", preset: 'seed' },
  { dir: 'reports/lesson/', inputs: ['sweep.json.gz'], title: "socketlab report: the lesson preset, socketlab's designs beside the lesson's Python servers (SLEEP 30)", preset: 'lesson' },
  { dir: 'reports/open/', inputs: ['sweep.json.gz'], title: "socketlab report: the open model, PING and SLEEP 5 at 10-120 % of each design's probed capacity", preset: 'quick' },
  { dir: 'reports/sharded/', inputs: ['sweep.json.gz', 'sweep-2.json.gz'], title: 'socketlab report: a sharded run on a one-machine Slurm (4 shards over 3 fake nodes), closed and open model, merged', preset: 'quick' },
] as const;

describe('the shipped reports', () => {
  for (const s of SHIPPED) {
    it(`${s.dir} regenerates byte-identically from its sweeps`, async () => {
      const shippedDir = fileURLToPath(new URL(s.dir, REPO_ROOT));
      const dir = mkdtempSync(join(tmpdir(), 'report-shipped-'));
      try {
        const result = await buildReport({ inputs: s.inputs.map((i) => join(shippedDir, i)), outDir: dir, title: s.title, light: true });
        const shipped = readdirSync(shippedDir).sort();
        const fresh = readdirSync(dir).sort();
        assert.deepEqual(fresh, shipped, 'the same files');
        for (const name of fresh) {
          const [a, b] = [readFileSync(join(dir, name)), readFileSync(join(shippedDir, name))];
          const same = name.endsWith('.gz') ? gunzipSync(a).equals(gunzipSync(b)) : a.equals(b);
          assert.ok(same, `${s.dir}${name} is byte-identical (rebuild with: npx nx run report:shipped)`);
        }
        assert.equal(result.analysis.dataset.inputs[0]!.results.config.preset, s.preset);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  it('the maintainers\' command regenerates exactly these', () => {
    const pkg = JSON.parse(readFileSync(new URL('packages/report/package.json', REPO_ROOT), 'utf8')) as { scripts: Record<string, string> };
    for (const s of SHIPPED) {
      assert.ok(pkg.scripts.shipped!.includes(`--light --out ../../${s.dir.replace(/\/$/, '')}`), s.dir);
      if (s.title) assert.ok(pkg.scripts.shipped!.includes(JSON.stringify(s.title)), 'the same title');
    }
  });
});
