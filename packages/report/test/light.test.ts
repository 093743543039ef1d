import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildReport, readInput } from '../src/index.ts';
import { gunzipInput } from '../src/load.ts';
import { gzipText } from '../src/light.ts';
import { smallResults } from './helpers.ts';

/** --light: the folder reports/ ships (gzip-compressed data, pages that link the SVGs), and .gz inputs read as untrusted. */
describe('a light report folder', () => {
  it('compresses the data, leaves out per-request timelines, links the SVGs, and rebuilds itself byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-light-'));
    try {
      const results = smallResults();
      const withTimeline = results.cells[0]!.runs[0]!;
      withTimeline.clients.timeline = { sentMs: withTimeline.clients.connectMs.map(() => [1]), replyMs: withTimeline.clients.connectMs.map(() => [2]), closeMs: withTimeline.clients.connectMs.map(() => 3) };
      writeFileSync(join(dir, 'in.json'), JSON.stringify(results, null, 2) + '\n');
      const out = join(dir, 'r');
      const first = await buildReport({ inputs: [join(dir, 'in.json')], outDir: out, light: true });
      const files = readdirSync(out).sort();
      assert.ok(files.includes('sweep.json.gz') && files.includes('runs.csv.gz'));
      assert.ok(!files.includes('sweep.json') && !files.includes('runs.csv'));
      const copy = JSON.parse(gunzipInput(readFileSync(join(out, 'sweep.json.gz')), 'copy')) as typeof results;
      assert.ok(copy.cells.every((c) => c.runs.every((r) => r.clients.timeline === undefined)), 'no per-request timelines');
      assert.deepEqual(copy.cells[0]!.runs[0]!.clients.connectMs, withTimeline.clients.connectMs, 'the rest of each run is whole');
      const html = readFileSync(join(out, 'index.html'), 'utf8');
      assert.equal((html.match(/<img src="[^"]+\.svg"/g) ?? []).length, first.charts.length, 'one <img> per chart');
      assert.ok(!html.includes('<svg'), 'no second copy of the SVGs');
      assert.match(first.markdown, /\[sweep\.json\.gz\]\(sweep\.json\.gz\)/);
      assert.match(first.markdown, /\[runs\.csv\.gz\]\(runs\.csv\.gz\)/);
      // From its own copy (the default input): the same bytes.
      const before = files.map((f) => readFileSync(join(out, f)));
      await buildReport({ outDir: out, light: true });
      assert.deepEqual(readdirSync(out).sort(), files);
      files.forEach((f, i) => assert.ok(readFileSync(join(out, f)).equals(before[i]!), `${f} unchanged`));
      // The plain report from the same data says the same, apart from the file names and the copy's SHA-256.
      const plain = await buildReport({ inputs: [join(out, 'sweep.json.gz')], outDir: join(dir, 'p') });
      const strip = (s: string) => s.replace(/\.gz\b/g, '').replace(/SHA-256 of the file \| `[0-9a-f]+`/, '');
      assert.equal(strip(plain.markdown), strip(first.markdown));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gzips deterministically: level 9, mtime 0, OS byte 3', () => {
    const a = gzipText('{"a": 1}\n');
    assert.ok(a.equals(gzipText('{"a": 1}\n')));
    assert.deepEqual([...a.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
  });

  it('refuses a .gz that inflates past the cap, and one that is not gzip, with coded errors', () => {
    const bomb = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    assert.ok(bomb.length < 4096);
    assert.throws(() => gunzipInput(bomb, 'bomb.json.gz', 64 * 1024), (err: Error & { code?: string }) => err.code === 'SOCKETLAB_ERR_REPORT_INPUT_TOO_LARGE' && /bomb\.json\.gz: inflates to more than 65536 bytes/.test(err.message));
    const dir = mkdtempSync(join(tmpdir(), 'report-gz-'));
    try {
      writeFileSync(join(dir, 'bad.json.gz'), 'not gzip');
      assert.throws(() => readInput(join(dir, 'bad.json.gz'), 0), (err: Error & { code?: string }) => err.code === 'SOCKETLAB_ERR_REPORT_INPUT' && /not gzip-compressed JSON/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
