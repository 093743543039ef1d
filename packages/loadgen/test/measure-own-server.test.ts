import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '@socketlab/protocol';
import { validateResults } from '@socketlab/results';
import { resolveConfig } from '../src/options.ts';
import { runSweep } from '../src/sweep/run-sweep.ts';
import { alivePids } from './helpers.ts';

/** The lesson's Python servers (examples/lesson-python), driven the lesson's way. */
const LESSON = fileURLToPath(new URL('../../../examples/lesson-python', import.meta.url));
const python = (() => {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.version_info[:2] >= (3, 9))'], { encoding: 'utf8' }).trim() === 'True';
  } catch {
    return false;
  }
})();
const small = { workloads: ['sleep'] as const, clients: [2, 3], runs: 1, timeScale: 0.01, quietWaitMs: 0, noiseRetries: 0 };

/**
 * Servers written here, as a user would: plain node:net, no socketlab code. `line` answers one line per
 * line; `raw` answers each read with one write and no newline, the lesson's way. `wrong` answers every
 * task wrongly; `forks` starts a child that outlives it (what loadgen must report and clean up).
 */
const DIR = mkdtempSync(join(tmpdir(), 'socketlab-own-'));
const SERVERS = {
  line: `const net = require('node:net');
net.createServer((s) => { let buf = '';
  s.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\\n')) !== -1) { const t = buf.slice(0, i).trim(); buf = buf.slice(i + 1);
    const [w, a] = t.split(' ');
    if (w === 'quit') { s.end('BYE\\r\\n'); return; }
    if (w === 'sleep') setTimeout(() => s.write('slept ' + a + '\\n'), Number(a)); else s.write('what?\\n'); } });
}).listen(Number(process.argv[2]), '127.0.0.1');`,
  raw: `const net = require('node:net');
net.createServer((s) => s.on('data', (d) => { const t = String(d).trim();
  if (t === 'exit') return s.end('Goodbye!');
  const [w, a] = t.split(' ');
  if (w === 'sleep') setTimeout(() => s.write('Slept ' + a + ' ms'), Number(a)); else s.write('Error: ' + t); })).listen(Number(process.argv[2]), '127.0.0.1');`,
  wrong: `const net = require('node:net');
net.createServer((s) => s.on('data', (d) => String(d).trim() === 'exit' ? s.end('Goodbye!') : s.write('nope'))).listen(Number(process.argv[2]), '127.0.0.1');`,
  forks: `const net = require('node:net'); const { spawn } = require('node:child_process');
// A helper process that ignores SIGTERM and is not stopped with its parent: left behind.
spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
net.createServer((s) => s.on('data', (d) => { const t = String(d).trim(); if (t === 'exit') return s.end('Goodbye!');
  const [w, a] = t.split(' '); setTimeout(() => s.write('Slept ' + a + ' ms'), Number(a)); })).listen(Number(process.argv[2]), '127.0.0.1');`,
};
for (const [name, code] of Object.entries(SERVERS)) writeFileSync(join(DIR, `${name}.cjs`), code);
const own = (name: keyof typeof SERVERS) => `${name}=${process.execPath} ${join(DIR, `${name}.cjs`)} {port}`;
const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

describe('measuring servers written by a user (--server, line and raw)', () => {
  it('drives a line-protocol server with the user\'s expectations and exit words', { timeout: 30_000 }, async () => {
    const results = await runSweep({ ...small, servers: [own('line')], protocol: 'line', expect: { sleep: 'regex:slept \\d+' }, exitRequest: 'quit', exitReply: 'BYE' });
    const run = results.cells[0]!.runs[0]!;
    assert.equal(run.errors.total, 0, run.errorSamples.join('; '));
    assert.equal(run.tasks.ok, 2);
    assert.equal(results.cells[0]!.servers[0]!.stop?.clean, true);
  });

  it('drives a raw server (no newline, one write per reply), the lesson\'s way', { timeout: 30_000 }, async () => {
    const results = await runSweep({ ...small, servers: [own('raw')], protocol: 'raw' });
    for (const cell of results.cells) assert.equal(cell.runs[0]!.errors.total, 0, cell.runs[0]!.errorSamples.join('; '));
    assert.deepEqual(results.cells.map((c) => c.runs[0]!.tasks.ok), [2, 3]);
  });

  it('a server that answers wrong gets errors and a non-zero exit, with the reason even under --quiet', { timeout: 60_000 }, async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--server', own('wrong'), '--protocol', 'raw', '--workloads', 'sleep', '--clients', '2', '--runs', '1', '--time-scale', '0.01', '--quiet-wait-ms', '0', '--noise-retries', '0', '--json', '--quiet'], { cwd: DIR });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^socketlab-loadgen: exit 3: /m);
    const results = JSON.parse(r.stdout) as { cells: { runs: { errors: { wrongResult: number } }[] }[] };
    assert.equal(results.cells[0]!.runs[0]!.errors.wrongResult, 2);
  });

  it('reports a process the server left behind, and kills it', { timeout: 60_000 }, async () => {
    const results = await runSweep({ ...small, clients: [2], servers: [own('forks')], protocol: 'raw', stopTimeoutMs: 2000 });
    const stop = results.cells[0]!.servers[0]!.stop!;
    assert.equal(stop.clean, false);
    assert.equal(stop.leftoverPids.length, 1, JSON.stringify(stop));
    assert.deepEqual(alivePids(stop.leftoverPids), [], 'loadgen killed what was left behind');
    assert.ok(results.warnings.some((w) => /forks server \(pid \d+\) did not stop cleanly: .*leftover processes \d+ killed/.test(w)), results.warnings.join('\n'));
  });
});

describe('measuring your own server (--server, --protocol)', { skip: python ? false : 'python3 >= 3.9 is not installed' }, () => {
  it('sweeps the lesson\'s Python servers (raw protocol) beside a built-in design, measured and stopped alike', { timeout: 60_000 }, async () => {
    const results = await runSweep({
      ...small,
      designs: ['single-event-loop'],
      servers: [`lesson-single=python3 ${LESSON}/server.py --port {port} --quiet`, `lesson-mt=python3 ${LESSON}/serverMT.py --port {port} --quiet`],
      protocol: 'raw',
    });
    assert.deepEqual(validateResults(results), { ok: true, errors: [] });
    assert.deepEqual(results.config.designs, ['single-event-loop', 'lesson-single', 'lesson-mt']);
    assert.equal(results.complete, true, results.warnings.join('; '));
    for (const cell of results.cells) {
      const run = cell.runs[0]!;
      assert.equal(run.errors.total, 0, `${cell.design} N=${cell.clients}: ${run.errorSamples.join('; ')}`);
      assert.equal(run.tasks.ok, cell.clients, `${cell.design}: every reply checked and right`);
      assert.ok(run.server && run.server.samples > 0, `${cell.design}: its process tree was sampled`);
      const server = cell.servers[0]!;
      assert.equal(server.stop?.clean, true, `${cell.design} stopped cleanly by its own pid`);
      if (cell.design !== 'single-event-loop') {
        assert.equal(server.package, 'external');
        assert.equal(server.command[0], 'python3');
        assert.ok(server.command.includes(String(server.port)), '{port} was filled in');
      }
    }
    // The iterative Python server serves one client at a time: N × 30 ms at least.
    const iterative = results.cells.find((c) => c.design === 'lesson-single' && c.clients === 3)!;
    assert.ok(iterative.runs[0]!.totalMs! >= 3 * 30, `lesson-single at N=3 took ${iterative.runs[0]!.totalMs} ms`);
    assert.deepEqual(alivePids(results.cells.flatMap((c) => c.servers.map((s) => s.pid))), []);
  });

  it('checks every reply: a wrong expectation is an error, never a success', { timeout: 30_000 }, async () => {
    const results = await runSweep({ ...small, clients: [2], servers: [`lesson-mt=python3 ${LESSON}/serverMT.py --port {port} --quiet`], protocol: 'raw', expect: { sleep: 'prefix:Done' } });
    const run = results.cells[0]!.runs[0]!;
    assert.equal(run.errors.wrongResult, 2);
    assert.equal(run.tasks.ok, 0);
    assert.match(run.errorSamples[0]!, /sleep 30 → expected "Done"…, got "Slept 30 ms"/);
  });

  it('reports a server that cannot start, and one that exits, as a skipped cell with the reason', { timeout: 60_000 }, async () => {
    const results = await runSweep({ ...small, clients: [2], startTimeoutMs: 3000, servers: ['nope=/nonexistent/server --port {port}', `dies=python3 -c "raise SystemExit(3)" {port}`], protocol: 'raw' });
    assert.equal(results.complete, false);
    assert.ok(results.warnings.some((w) => /nope × sleep × N=2: .*could not be started: spawn \/nonexistent\/server ENOENT; cell skipped/.test(w)), results.warnings.join('\n'));
    assert.ok(results.warnings.some((w) => /dies × sleep × N=2: .*exited before accepting connections \(code 3\)/.test(w)), results.warnings.join('\n'));
  });

  it('refuses options that cannot work, naming them', () => {
    const refuses = (options: Parameters<typeof resolveConfig>[0], message: RegExp) =>
      assert.throws(() => resolveConfig(options), (e: unknown) => e instanceof InvalidOptionError && message.test(e.message));
    refuses({ protocol: 'raw' }, /^protocol applies to external servers only/);
    refuses({ servers: ['x=./x {port}'], protocol: 'raw', workloads: ['wait'] }, /^workloads: wait sends WAIT, which a raw server is not assumed to know .*--expect wait=…/);
    refuses({ servers: ['x=./x {port}'], protocol: 'line', rawGapMs: 5 }, /^rawGapMs applies to protocol raw only/);
    refuses({ servers: ['x=./x {port}'], rawBytes: 5 }, /^rawBytes applies to protocol line or raw, not socketlab/);
    refuses({ servers: ['x=./x {port}', 'x=./y {port}'] }, /the name "x" is used twice/);
    refuses({ servers: ['x=./x {port}'], target: '127.0.0.1:9' }, /servers and target cannot be combined/);
    // Alone, --server sweeps only the user's servers; with --designs, both.
    assert.deepEqual(resolveConfig({ servers: ['x=./x {port}'] }).designs, ['x']);
    assert.deepEqual(resolveConfig({ servers: ['x=./x {port}'], designs: ['mt-pool'] }).designs, ['mt-pool', 'x']);
    assert.deepEqual(resolveConfig({ preset: 'lesson' }).designs.slice(-3), ['lesson-single', 'lesson-mp', 'lesson-mt']);
  });
});
