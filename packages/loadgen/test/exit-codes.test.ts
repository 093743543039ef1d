import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type Server } from '@socketlab/server-single';
import { EXIT_CODE_TABLE, LOADGEN_EXIT_CODES } from '../src/exit.ts';
import { helpText } from '../src/cli.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function listen(onSocket: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    onSocket(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const close = (s: net.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loadgen-exit-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny sweep against `port`, quiet, with no noise waits (those are not what these tests are about). */
function sweepAt(port: number, ...extra: string[]): Promise<Ran> {
  return run([
    '--target', `127.0.0.1:${port}`, '--workloads', 'ping', '--clients', '2', '--runs', '1', '--quiet',
    '--quiet-wait-ms', '0', '--noise-retries', '0', '--run-timeout-ms', '1500', '--connect-timeout-ms', '1500',
    '--out', join(dir, `r-${port}.json`), ...extra,
  ]);
}

/** Exactly one line on stderr, nothing on stdout: what --quiet promises a failing CI job. */
function assertOneLine(r: Ran, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, pattern);
}

describe('loadgen exit codes against broken targets (--quiet)', () => {
  it('a closed port: exit 3, refused', { timeout: 30_000 }, async () => {
    const s = await listen(() => {});
    const port = portOf(s);
    await close(s);
    const r = await sweepAt(port);
    assertOneLine(r, LOADGEN_EXIT_CODES.runErrors, /^socketlab-loadgen: exit 3: 1 of 1 runs had client errors \(refused 2\); first: .*ECONNREFUSED/);
  });

  // Servers that are there but broken, each failing a different way.
  const broken: [string, (sock: net.Socket) => void, RegExp][] = [
    ['a server that answers garbage: exit 3', (sock) => sock.on('data', () => sock.write('\u0000garbage!\n')), /^socketlab-loadgen: exit 3: 1 of 1 runs had client errors \((wrong value|other|closed|timeout) \d/],
    ['a server that resets every connection: exit 3, reset', (sock) => sock.resetAndDestroy(), /^socketlab-loadgen: exit 3: 1 of 1 runs had client errors \(reset 2\)/],
    ['a server that never answers: exit 3, timeout, bounded by --run-timeout-ms', (sock) => sock.resume(), /^socketlab-loadgen: exit 3: 1 of 1 runs had client errors \(timeout 2\); first: .*not finished within 1500 ms/],
  ];
  for (const [name, onSocket, reason] of broken) {
    it(name, { timeout: 30_000 }, async () => {
      const s = await listen(onSocket);
      try {
        assertOneLine(await sweepAt(portOf(s)), LOADGEN_EXIT_CODES.runErrors, reason);
      } finally {
        await close(s);
      }
    });
  }

  it('--allow-errors accepts them: exit 0, silent', { timeout: 30_000 }, async () => {
    const s = await listen(() => {});
    const port = portOf(s);
    await close(s);
    const r = await sweepAt(port, '--allow-errors');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});

describe('loadgen --threshold', () => {
  let server: Server;
  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
  });
  after(() => server.close());

  it('passes when every threshold holds, fails (exit 4) naming the one that did not', { timeout: 30_000 }, async () => {
    const port = server.address.port;
    const ok = await sweepAt(port, '--threshold', 'total.median<60s', '--threshold', 'external:ping:2:errors<=0');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    // Nothing runs in under a microsecond: a threshold that cannot hold.
    const bad = await sweepAt(port, '--threshold', 'total.median<60s', '--threshold', 'external:ping:total.max<1us');
    assertOneLine(bad, LOADGEN_EXIT_CODES.threshold, /^socketlab-loadgen: exit 4: 1 of 2 threshold\(s\) failed: external:ping:total\.max<1us: external:ping:2 total\.max is [0-9.]+ ms$/);
  });

  it('a threshold that selects no cell fails rather than passing silently', { timeout: 30_000 }, async () => {
    const r = await sweepAt(server.address.port, '--threshold', 'mt-pool:p99<1s');
    assertOneLine(r, LOADGEN_EXIT_CODES.threshold, /mt-pool:p99<1s: selects no cell of this sweep/);
  });

  it('a malformed threshold is a usage error naming the flag', async () => {
    const r = await run(['--threshold', 'total.median<2 parsecs']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^socketlab-loadgen: --threshold "total\.median<2 parsecs": unknown unit "parsecs"/);
    const metric = await run(['--threshold', 'mt-pool:sleep:speed>3']);
    assert.equal(metric.code, 2);
    assert.match(metric.stderr, /unknown metric "speed"/);
  });
});

describe('exit codes are documented', () => {
  it('each code is in --help and in docs/errors.md\'s exit-code table', () => {
    const help = helpText();
    const rows = [...docs.matchAll(/^\| `(\d+)` \| loadgen \|/gm)].map((m) => Number(m[1]));
    assert.deepEqual(rows, EXIT_CODE_TABLE.map(([code]) => code));
    for (const [code, text] of EXIT_CODE_TABLE) assert.ok(help.includes(`  ${String(code).padEnd(4)}${text}`), `--help lists ${code}`);
  });
});
