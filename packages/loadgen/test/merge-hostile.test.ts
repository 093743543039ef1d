import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type Server } from '@socketlab/server-single';
import type { SweepResults } from '@socketlab/results';
import { mergeShardResults } from '../src/shard/merge.ts';
import { shardedSweep } from './shard-sweep.ts';

/** The built CLI. */
const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

/**
 * Corrupt inputs to `socketlab-loadgen merge`, each from a real sharded sweep's files (3 shards × N = 7
 * on 127.0.0.1, shares 3, 2, 2) with one thing broken: each is refused with its coded error, in the API
 * and on the command line (exit 1, one line, no stack trace).
 */
describe('merge refuses corrupt shard files', () => {
  let server: Server;
  let shards: SweepResults[];
  const dir = mkdtempSync(join(tmpdir(), 'socketlab-merge-hostile-'));

  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
    shards = await shardedSweep(`127.0.0.1:${server.address.port}`);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses corrupt shards with a coded error, never a stack trace: index out of range, repeated, corrupt or swapped histograms, per-client arrays', () => {
    const clone = () => shards.map((s) => structuredClone(s));
    const run = (c: SweepResults[], shard: number) => c[shard]!.cells[0]!.runs[0]!;
    const cases: [string, () => SweepResults[], string, RegExp][] = [
      ['index past the count', () => { const c = clone(); c[2]!.shard!.index = 5; return c; }, 'SOCKETLAB_ERR_SHARD_MERGE', /^file 3 says it is shard 5 of 3: shard indices run from 0 to 2$/],
      ['repeated index', () => { const c = clone(); c[2]!.shard!.index = 1; return c; }, 'SOCKETLAB_ERR_SHARD_MERGE', /^shard 1 given twice: file 2 and file 3$/],
      ['mismatched config', () => { const c = clone(); c[2]!.config.tasksPerClient = 2; return c; }, 'SOCKETLAB_ERR_SHARD_MERGE', /^the shards ran different configurations: config\.tasksPerClient: 1 \(file 1\) vs 2 \(file 3\)$/],
      ['corrupt histogram', () => { const c = clone(); run(c, 1).tasks.latencyUs.encoded = 'HISTFAAAAB////8='; return c; }, 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', /run 0 in file 2: tasks\.latencyUs: the histogram does not decode/],
      ['swapped histogram data', () => { const c = clone(); run(c, 1).tasks.latencyUs.encoded = run(c, 0).tasks.latencyUs.encoded; return c; }, 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', /tasks\.latencyUs: the histogram holds 3 values but its count says 2: corrupt, or swapped/],
      ['swapped histogram record', () => { const c = clone(); run(c, 1).tasks.latencyUs = structuredClone(run(c, 0).tasks.latencyUs); return c; }, 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', /the histogram counts 3 values where the run has 2: swapped/],
      ['short per-client array', () => { const c = clone(); run(c, 2).clients.connectMs.pop(); return c; }, 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', /in file 3: clients\.connectMs has 1 entries for 2 clients$/],
      ['long timeline', () => { const c = clone(); run(c, 0).clients.timeline?.closeMs.push(1); return c; }, 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', /clients\.timeline\.closeMs has 4 entries for 3 clients$/],
      ['value out of range', () => { const c = clone(); run(c, 0).clients.completionMs[1] = 1e300; return c; }, 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', /clients\.completionMs\[1\] is 1e\+300: not null or a number from 0 to 9007199254740991$/],
      ['counts that do not add up', () => { const c = clone(); run(c, 0).clients.failed = 3; return c; }, 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', /3 clients completed and 3 failed, of 3$/],
    ];
    for (const [name, files, code, message] of cases) {
      assert.throws(() => mergeShardResults(files()), (err: Error & { code?: string }) => err.code === code && message.test(err.message), name);
    }
    // The CLI: exit 1 and one line with the code, no stack; a terminal escape in a sweep id is shown, not sent.
    for (const [name, files, code] of [...cases, ['escape in the sweep id', () => { const c = clone(); c[1]!.shard!.sweepId = '\u001b[2Jx'; return c; }, 'SOCKETLAB_ERR_SHARD_MERGE', /./] as const]) {
      const paths = files().map((f, i) => {
        const path = join(dir, `corrupt-${i}.json`);
        writeFileSync(path, JSON.stringify(f));
        return path;
      });
      const r = spawnSync(process.execPath, [BIN, 'merge', ...paths, '--out', join(dir, 'never.json')], { encoding: 'utf8' });
      assert.equal(r.status, 1, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^socketlab-loadgen merge: .*\\[${code}\\]\\n$`), name);
      assert.ok(!r.stderr.includes('\u001b'), `${name}: a raw escape on stderr`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, name);
    }
  });
});
