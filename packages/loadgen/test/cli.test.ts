import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultResultsDir, findWorkspaceRoot, validateResults } from '@socketlab/results';
import { resultsFileName } from '../src/output.ts';
import { alivePids } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (bin.js → dist/cli.js). `detached` puts it in its own process group, like a shell job. */
function run(args: string[], opts: { cwd?: string; onSpawn?: (pid: number, stderr: () => string) => void } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    opts.onSpawn?.(child.pid!, () => stderr);
  });
}

describe('socketlab-loadgen CLI', () => {
  it('--help prints usage and exits 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: socketlab-loadgen \[options\]/);
    assert.match(r.stdout, /--time-scale <x>/);
  });

  it('bad usage exits 2 naming the flag or option', async () => {
    const bad = await run(['--runs', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--runs must be a non-negative integer \(got "x"\)/);
    const range = await run(['--clients', '0']);
    assert.equal(range.code, 2);
    assert.match(range.stderr, /clients\[0\] must be an integer between 1 and 100000 \(got 0\)/);
  });

  it('range errors name the flag as typed, never the option field', async () => {
    const r = await run(['--time-scale', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^socketlab-loadgen: --time-scale must be a number > 0 and <= 100 \(got 0\)\nRun 'socketlab-loadgen --help' for usage\.\n$/);
    assert.doesNotMatch(r.stderr, /timeScale/);
    const combo = await run(['--client-mode', 'process', '--loadgen-workers', '2']);
    assert.equal(combo.code, 2);
    assert.match(combo.stderr, /--loadgen-workers applies only to --client-mode "workers"/);
  });

  it('--target-pid: only with --target, and a live process here; a usage error (exit 2) naming the flag', async () => {
    const gone = 2 ** 22 + 1;
    const cases: [string[], RegExp][] = [
      [['--target-pid', String(process.pid)], /^socketlab-loadgen: --target-pid applies only with --target: a server loadgen starts is sampled anyway\n/],
      [['--target', '127.0.0.1:1', '--target-pid', '0'], /--target-pid must be a process id, an integer >= 1 \(got 0\)/],
      [['--target', '127.0.0.1:1', '--target-pid', 'x'], /--target-pid must be a non-negative integer \(got "x"\)/],
      [['--target', '127.0.0.1:1', '--target-pid', String(gone)], new RegExp(`--target-pid ${gone}: no such live process on this machine`)],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, '--clients', '1']);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\[1\//, 'no run started');
    }
  });

  it('--out -q is a usage error (exit 2) and starts no sweep', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadgen-out-'));
    try {
      const r = await run(['--preset', 'smoke', '--out', '-q'], { cwd });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--out needs a value; "-q" looks like a flag/);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /\[1\//, 'no run started');
      assert.deepEqual(readdirSync(cwd), [], 'no results written');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('suggests the flag meant for a typo', async () => {
    const r = await run(['--time-scal', '1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown flag --time-scal; did you mean --time-scale\?/);
  });

  it('--json writes only the results JSON to stdout, and no file', { timeout: 30_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadgen-cli-'));
    try {
      const r = await run(['--preset', 'smoke', '--designs', 'single-event-loop', '--workloads', 'ping', '--clients', '2', '--json'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      const results = JSON.parse(r.stdout) as unknown;
      assert.deepEqual(validateResults(results).errors, []);
      assert.equal(existsSync(join(cwd, 'results')), false);
      assert.match(r.stderr, /\[1\/1\] single-event-loop ping N=2 run 1\/1/, 'progress lines on stderr when not a TTY');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('writes results/sweep-<timestamp>.json and results/latest.json by default', { timeout: 30_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadgen-cli-'));
    try {
      const r = await run(['--preset', 'smoke', '--designs', 'single-event-loop', '--workloads', 'ping', '--clients', '1', '--quiet'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '', '--quiet prints nothing');
      const files = readdirSync(join(cwd, 'results')).sort();
      assert.equal(files.length, 2);
      assert.match(files[1]!, /^sweep-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.json$/);
      assert.equal(files[0], 'latest.json');
      assert.equal(readFileSync(join(cwd, 'results', files[0]!), 'utf8'), readFileSync(join(cwd, 'results', files[1]!), 'utf8'));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('puts default results under the socketlab workspace root, else under the current directory', () => {
    const root = findWorkspaceRoot(PKG_DIR);
    assert.ok(root && existsSync(join(root, 'nx.json')));
    assert.equal(defaultResultsDir(PKG_DIR), join(root, 'results'));
    assert.equal(defaultResultsDir(tmpdir()), join(tmpdir(), 'results'));
    assert.equal(resultsFileName('2026-11-23T22:58:52.204Z'), 'sweep-2026-11-23T22-58-52Z.json');
  });

  it('Ctrl-C stops cleanly: partial results with complete false, exit code 130, no server left', { timeout: 30_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadgen-cli-'));
    const out = join(cwd, 'partial.json');
    try {
      // Each run takes 4 × 1 s on the iterative server; interrupt during the second run.
      const r = await run(['--preset', 'smoke', '--designs', 'single-iterative', '--clients', '1,4', '--time-scale', '0.3333', '--out', out], {
        cwd,
        onSpawn: (pid, stderr) => {
          const timer = setInterval(() => {
            if (/\[1\/2\]/.test(stderr())) {
              clearInterval(timer);
              // The whole process group, as a terminal's Ctrl-C does (client processes get it too).
              setTimeout(() => process.kill(-pid, 'SIGINT'), 500);
            }
          }, 20);
        },
      });
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /SIGINT: stopping the current run/);
      const results = JSON.parse(readFileSync(out, 'utf8')) as { complete: boolean; abortReason: string; cells: { runs: { complete: boolean }[]; servers: { pid: number }[] }[] };
      assert.deepEqual(validateResults(results).errors, []);
      assert.equal(results.complete, false);
      assert.equal(results.abortReason, 'SIGINT');
      assert.deepEqual(results.cells.map((c) => c.runs.map((x) => x.complete)), [[true], [false]]);
      assert.deepEqual(alivePids(results.cells.flatMap((c) => c.servers.map((s) => s.pid))), []);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
