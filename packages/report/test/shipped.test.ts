import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport } from '../src/index.ts';
import { REPO_ROOT } from './helpers.ts';

/**
 * The repository ships a report (reports/quick/) generated from a real quick sweep (its sweep.json).
 * Regenerating it must give the committed files byte for byte: same data, same report.
 */
const SHIPPED = fileURLToPath(new URL('reports/quick/', REPO_ROOT));

describe('the shipped report (reports/quick/)', () => {
  it('regenerates byte-identically from its sweep.json', async () => {
    assert.ok(existsSync(join(SHIPPED, 'sweep.json')), 'reports/quick/sweep.json is committed');
    const dir = mkdtempSync(join(tmpdir(), 'report-shipped-'));
    try {
      const result = await buildReport({ inputs: [join(SHIPPED, 'sweep.json')], outDir: dir });
      const shipped = readdirSync(SHIPPED).sort();
      const fresh = readdirSync(dir).sort();
      assert.deepEqual(fresh, shipped, 'the same files');
      for (const name of fresh) {
        assert.ok(readFileSync(join(dir, name)).equals(readFileSync(join(SHIPPED, name))), `${name} is byte-identical (rebuild with: npx nx run report:build)`);
      }
      assert.equal(result.analysis.dataset.inputs[0]!.results.config.preset, 'quick');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
