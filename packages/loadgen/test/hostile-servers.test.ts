import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { SweepResults } from '@socketlab/results';
import { alivePids, processesMatching } from './helpers.ts';

/**
 * Hostile servers given to `--server` (issue 23): one that daemonizes (double fork + setsid, holding
 * loadgen's pipes), a port already taken, one that never starts and says so with terminal escapes, and
 * loadgen SIGKILLed while it runs a foreign server. Real processes, 127.0.0.1, bounded; every process
 * started here is killed by pid in `after`.
 */
const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const DIR = mkdtempSync(join(tmpdir(), 'socketlab-hostile-'));
const started: number[] = [];
after(() => {
  for (const pid of alivePids(started)) process.kill(pid, 'SIGKILL');
});

// A raw server (the lesson's way), plain node:net. It writes its pid to argv[3] when given.
writeFileSync(join(DIR, 'raw.cjs'), `const net = require('node:net');
if (process.argv[3]) require('node:fs').writeFileSync(process.argv[3], String(process.pid));
net.createServer((s) => s.on('data', (d) => { const t = String(d).trim(); if (t === 'exit') return s.end('Goodbye!');
  const [w, a] = t.split(' '); setTimeout(() => s.write('Slept ' + a + ' ms'), Number(a)); })).listen(Number(process.argv[2]), '127.0.0.1');`);
// The daemon: a double fork (the subshell's child is orphaned) and setsid (a session of its own), which
// keeps the server's stdout and stderr, loadgen's pipes, open; its pid goes to $2.
writeFileSync(join(DIR, 'daemon.sh'), `( setsid sh -c 'echo $$ > "$0"; exec sleep 300' "$2" & )
exec "${process.execPath}" "${join(DIR, 'raw.cjs')}" "$1" "$3"
`);
// A server that never starts: terminal escapes on stderr, then exit 3.
writeFileSync(join(DIR, 'dies.sh'), `printf '\\033[31mboom\\033]0;title\\007 and more\\n' >&2; exit 3\n`);

interface Ran { code: number | null; stdout: string; stderr: string; pid: number }

/** Runs the CLI to its end (bounded by the test's timeout). */
function cli(args: string[], onSpawn?: (pid: number) => void): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child.pid!);
  onSpawn?.(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // 'close': every holder of its pipes has let go, so loadgen and nothing it left holds them.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, pid: child.pid! })));
}

const SMALL = ['--protocol', 'raw', '--workloads', 'sleep', '--clients', '2', '--runs', '1', '--time-scale', '0.01', '--quiet-wait-ms', '0', '--noise-retries', '0', '--json', '--quiet'];

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('hostile --server processes', () => {
  it('a daemonizing server: its daemon is found by its marker, killed and reported at stop; loadgen exits', { timeout: 60_000 }, async () => {
    const pidFile = join(DIR, 'daemon.pid');
    const ran = await cli(['--server', `daemon=sh ${join(DIR, 'daemon.sh')} {port} ${pidFile}`, ...SMALL]);
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    started.push(daemon);
    const results = JSON.parse(ran.stdout) as SweepResults;
    const stops = results.cells.flatMap((c) => c.servers.map((s) => s.stop!));
    assert.ok(stops.some((s) => s.leftoverPids.includes(daemon)), `the daemon ${daemon} is reported: ${JSON.stringify(stops)}`);
    assert.ok(stops.every((s) => s.clean === false || !s.leftoverPids.length));
    assert.ok(results.warnings.some((w) => w.includes(`leftover processes`) && w.includes(String(daemon))), results.warnings.join('\n'));
    assert.deepEqual(alivePids([daemon]), [], 'the daemon was killed');
  });

  it('a fixed port already in use is refused before anything is spawned (SOCKETLAB_ERR_PORT_IN_USE)', { timeout: 30_000 }, async () => {
    // loadgen's probe connects and goes at once: the squatter's write can meet its reset (ECONNRESET on
    // this side, which must not crash the test process).
    const squatter = net.createServer((s) => s.on('error', () => {}).end('I am not your server'));
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
    const port = (squatter.address() as net.AddressInfo).port;
    const spawned = join(DIR, 'spawned.pid');
    try {
      const ran = await cli(['--server', `mine:${port}=${process.execPath} ${join(DIR, 'raw.cjs')} ${port} ${spawned}`, ...SMALL]);
      assert.equal(ran.code, 1, ran.stderr);
      assert.match(ran.stderr, new RegExp(`SOCKETLAB_ERR_PORT_IN_USE mine: port ${port} on 127\\.0\\.0\\.1 is already in use; the server was not started`));
      assert.equal(existsSync(spawned), false, 'the server command never ran');
    } finally {
      squatter.close();
    }
  });

  it('a server that never starts: its reason, escaped, on the exit line', { timeout: 30_000 }, async () => {
    const ran = await cli(['--server', `dies=sh ${join(DIR, 'dies.sh')} {port}`, ...SMALL]);
    assert.equal(ran.code, 1);
    const exitLine = ran.stderr.split('\n').find((l) => l.includes(': exit 1: ')) ?? '';
    assert.match(exitLine, /the first because dies: dies \(sh .*dies\.sh \d+\): exited before accepting connections \(code 3\); stderr: \\x1b\[31mboom\\x1b\]0;title\\x07 and more/, ran.stderr);
    assert.ok(!ran.stderr.includes('\u001b') && !ran.stderr.includes('\u0007'), 'no raw escape reaches the terminal');
  });

  it('loadgen SIGKILLed while it runs a foreign server: the server and its daemon are gone within 3 s', { timeout: 60_000 }, async () => {
    const pidFile = join(DIR, 'daemon2.pid');
    const serverPidFile = join(DIR, 'server2.pid');
    let loadgen = 0;
    // Long enough to be killed mid-sweep: 1 s tasks at full time scale.
    const ran = cli(['--server', `daemon=sh ${join(DIR, 'daemon.sh')} {port} ${pidFile} ${serverPidFile}`, '--protocol', 'raw', '--workloads', 'sleep', '--clients', '2', '--runs', '3', '--time-scale', '1', '--quiet-wait-ms', '0', '--noise-retries', '0', '--json', '--quiet'], (pid) => (loadgen = pid));
    assert.ok(await until(() => existsSync(pidFile) && existsSync(serverPidFile) && readFileSync(serverPidFile, 'utf8') !== '', 20_000), 'the server started');
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    const server = Number(readFileSync(serverPidFile, 'utf8'));
    started.push(daemon, server);
    const token = /SOCKETLAB_RUN_TOKEN=([0-9a-f]+)\./.exec(readFileSync(`/proc/${server}/environ`, 'latin1'))?.[1];
    assert.ok(token, 'the server carries loadgen\'s marker');
    process.kill(loadgen, 'SIGKILL');
    const t0 = Date.now();
    const gone = await until(() => alivePids([daemon, server]).length === 0, 3000);
    assert.ok(gone, `still alive after ${Date.now() - t0} ms: ${alivePids([daemon, server]).join(' ')}`);
    await ran; // the pipes are free: nothing holds them
    // The watchdog (its argv names the token) has exited too.
    assert.ok(await until(() => processesMatching(token!).length === 0, 2000), `left: ${processesMatching(token!).join(' ')}`);
  });
});
