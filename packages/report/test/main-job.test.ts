import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, SMALL_FIXTURE } from './helpers.ts';

/**
 * The README's main job (a sweep, then the report on it) must leave `git status` clean: it writes only
 * under the git-ignored results/. A full sweep takes minutes, so this checks the mechanism: the README's
 * command, the targets it runs, and where `report:latest`'s command writes in a workspace of its own.
 */
const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const readme = readFileSync(new URL('README.md', REPO_ROOT), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describe('the main job writes only under results/', () => {
  it('the README\'s main command is the sweep, then report:latest', () => {
    const first = /```sh\n(.+)\n```/.exec(readme)![1]!;
    assert.equal(first, 'npm ci && npx nx run loadgen:sweep && npx nx run report:latest');
    assert.equal(pkg.scripts.latest, 'node bin.js --latest', 'report:latest picks no output folder of its own: --latest\'s default applies');
    assert.equal(pkg.scripts.build, 'tsup', 'building writes nothing outside dist/');
    assert.ok(!/reports\//.test(pkg.scripts.latest!));
  });

  it('report --latest writes the report under results/report/ and nothing else', () => {
    const root = mkdtempSync(join(tmpdir(), 'report-main-job-'));
    try {
      writeFileSync(join(root, 'nx.json'), '{}\n');
      writeFileSync(join(root, 'package.json'), '{ "name": "socketlab", "private": true }\n');
      mkdirSync(join(root, 'results'));
      copyFileSync(fileURLToPath(SMALL_FIXTURE), join(root, 'results', 'latest.json'));
      mkdirSync(join(root, 'packages', 'report'), { recursive: true });
      const before = filesUnder(root);
      // Nx runs the script in packages/report.
      const r = spawnSync(process.execPath, [BIN, '--latest'], { encoding: 'utf8', cwd: join(root, 'packages', 'report') });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /wrote \.\.\/\.\.\/results\/report\//);
      const added = filesUnder(root).filter((f) => !before.includes(f));
      assert.ok(added.length > 3, `${added.length} files written`);
      assert.deepEqual(added.filter((f) => !f.startsWith('results/report/')), [], 'every file it wrote is under results/report/');
      assert.ok(added.includes('results/report/README.md') && added.includes('results/report/sweep.json'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
