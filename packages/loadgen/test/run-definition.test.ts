import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, type Server } from '@socketlab/server-single';
import { runDefinitionOf, sweepFlags, validateResults } from '@socketlab/results';
import { parseArgs } from '../src/cli.ts';
import { DEFAULT_SWEEP_OPTIONS, resolveConfig } from '../src/options.ts';
import { runSweep } from '../src/index.ts';

const clock = () => performance.timeOrigin + performance.now();

/**
 * A PING server that notes, on loadgen's clock (this process runs the sweep's parent), when each
 * connection was accepted and when its first request byte arrived.
 */
function timedPingServer(): Promise<{ server: net.Server; port: number; accepted: number[]; firstByte: number[] }> {
  const accepted: number[] = [];
  const firstByte: number[] = [];
  const server = net.createServer((socket) => {
    accepted.push(clock());
    let buffered = '';
    let first = true;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      if (first) firstByte.push(clock());
      first = false;
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const request = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (request === 'EXIT') return void socket.end('OK Goodbye!\n');
        socket.write('OK PONG\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, accepted, firstByte })));
}

describe('the run definition', () => {
  it('is connect-then-release unless asked, is recorded, and a file without it reads as release-then-connect', () => {
    assert.equal(DEFAULT_SWEEP_OPTIONS.runDefinition, 'connect-then-release');
    assert.equal(resolveConfig({}).runDefinition, 'connect-then-release');
    assert.equal(resolveConfig({ runDefinition: 'release-then-connect' }).runDefinition, 'release-then-connect');
    const { runDefinition: _, ...v1 } = resolveConfig({});
    assert.equal(runDefinitionOf(v1), 'release-then-connect');
    // Reproducing a v1 file spells out what it did, not today's default.
    const flags = sweepFlags(v1);
    assert.equal(flags[flags.indexOf('--run-definition') + 1], 'release-then-connect');
    assert.equal(resolveConfig(parseArgs(flags).options).runDefinition, 'release-then-connect');
  });

  it('rejects an unknown definition, naming the flag or the option', () => {
    assert.throws(() => parseArgs(['--run-definition', 'connect-first']), /--run-definition must be one of connect-then-release, release-then-connect \(got "connect-first"\)/);
    assert.throws(() => resolveConfig({ runDefinition: 'later' as never }), /runDefinition/);
  });

  for (const runDefinition of ['connect-then-release', 'release-then-connect'] as const) {
    it(`${runDefinition}: the server sees connections and requests on the right side of the release`, { timeout: 30_000 }, async () => {
      const fake = await timedPingServer();
      try {
        const results = await runSweep({ target: `127.0.0.1:${fake.port}`, workloads: ['ping'], clients: [6], runs: 2, runDefinition, quietWaitMs: 0, noiseRetries: 0 });
        assert.deepEqual(validateResults(results).errors, []);
        assert.equal(results.config.runDefinition, runDefinition);
        const runs = results.cells[0]!.runs;
        assert.equal(fake.accepted.length, 12);
        assert.equal(fake.firstByte.length, 12);
        runs.forEach((run, r) => {
          assert.equal(run.errors.total, 0, JSON.stringify(run.errorSamples));
          const accepted = fake.accepted.slice(r * 6, r * 6 + 6);
          const firstByte = fake.firstByte.slice(r * 6, r * 6 + 6);
          // No request may reach the server before the release, in either definition.
          for (const t of firstByte) assert.ok(t > run.releaseAt, `request at ${t} after the release ${run.releaseAt}`);
          if (runDefinition === 'connect-then-release') {
            // Every client connected before the clock started (its 'connect' came before its process said
            // ready): the connects are outside totalMs. (The server's accept callback runs in this process,
            // in the same loop turn as the ready message at worst, so its time is no proof either way.)
            assert.deepEqual(run.clients.connectMs, [0, 0, 0, 0, 0, 0]);
            assert.equal(typeof run.connectPhaseMs, 'number');
          } else {
            // The clients connect after the release: their connects are inside totalMs.
            for (const t of accepted) assert.ok(t > run.releaseAt, `accepted at ${t} after the release ${run.releaseAt}`);
            assert.ok(run.clients.connectMs.every((t) => t !== null && t > 0));
            assert.equal(run.connectPhaseMs, undefined);
          }
        });
      } finally {
        await new Promise<void>((r) => fake.server.close(() => r()));
      }
    });
  }

  describe('against the iterative server, whose waiting clients sit connected and unanswered', () => {
    let server: Server;
    before(async () => {
      server = await startServer({ mode: 'iterative', port: 0 });
    });
    after(() => server.close());

    it('no client times out on connect, though it waits far longer than the connect timeout', { timeout: 30_000 }, async () => {
      // The connect timeout is short but not tight (a busy machine can hold a client process off the CPU
      // for tens of ms); the last client waits 3 tasks, 1.5 s, connected.
      const TASK_MS = 500;
      const N = 4;
      for (const runDefinition of ['connect-then-release', 'release-then-connect'] as const) {
        const results = await runSweep({
          target: `127.0.0.1:${server.address.port}`, workloads: ['sleep'], clients: [N], runs: 1, timeScale: TASK_MS / 3000,
          connectTimeoutMs: 1000, runDefinition, quietWaitMs: 0, noiseRetries: 0,
        });
        const run = results.cells[0]!.runs[0]!;
        assert.equal(run.errors.total, 0, `${runDefinition}: ${JSON.stringify(run.errorSamples)}`);
        assert.equal(run.clients.completed, N);
        // One at a time: the last client waited (N - 1) tasks, far beyond connectTimeoutMs, connected.
        assert.ok(run.totalMs! >= N * TASK_MS, `${runDefinition}: ${run.totalMs} ms >= ${N} × ${TASK_MS} ms`);
      }
    });
  });
});
