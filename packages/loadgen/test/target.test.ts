import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, type Server } from '@socketlab/server-single';
import { fibValue, runSweep } from '../src/index.ts';
import { ServerProcess } from '../src/server-process.ts';
import { HAS_PROCFS, isAlive, validateResults } from '@socketlab/results';

/** A fake "server" that answers every request with `reply(request)` and closes after EXIT. */
function fakeServer(reply: (request: string) => string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const request = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (request === 'EXIT') {
          socket.end('OK Goodbye!\n');
          return;
        }
        socket.write(reply(request) + '\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const close = (s: net.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

describe('--target: a server loadgen did not start', () => {
  let server: Server;
  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
  });
  after(() => server.close());

  it('sweeps it, reporting no server process metrics', { timeout: 30_000 }, async () => {
    const results = await runSweep({ target: `127.0.0.1:${server.address.port}`, workloads: ['wait', 'ping'], clients: [3], runs: 2, timeScale: 0.01 });
    assert.deepEqual(validateResults(results).errors, []);
    assert.equal(results.complete, true);
    assert.deepEqual(results.config.designs, ['external']);
    assert.equal(results.cells.length, 2);
    for (const cell of results.cells) {
      assert.equal(cell.design, 'external');
      assert.deepEqual(cell.servers, []);
      for (const run of cell.runs) {
        assert.equal(run.server, null);
        assert.equal(run.serverInstance, null);
        assert.equal(run.errors.total, 0);
        assert.equal(run.clients.completed, 3);
      }
    }
    // WAIT overlaps on an event loop: three clients take about one WAIT, not three.
    const wait = results.cells[0]!.summary.totalMs.median!;
    assert.ok(wait >= 30 && wait < 90, `WAIT 30 × 3 clients took ${wait} ms`);
    assert.equal(server.listening, true, 'loadgen left the external server running');
  });
});

describe('error accounting', () => {
  it('checks every reply: a wrong result is counted as wrongResult', { timeout: 20_000 }, async () => {
    const fake = await fakeServer((req) => (req.startsWith('FIB') ? 'OK 41' : 'OK PONG'));
    try {
      const results = await runSweep({ target: `127.0.0.1:${portOf(fake)}`, workloads: ['fib'], clients: [2], runs: 1, tasksPerClient: 3, timeScale: 0.00001 });
      assert.deepEqual(validateResults(results).errors, []);
      const run = results.cells[0]!.runs[0]!;
      const n = results.config.workloads[0]!.fibN!;
      assert.deepEqual(results.config.workloads[0]!.tasks, [`FIB ${n}`]);
      assert.equal(run.errors.wrongResult, 6);
      assert.equal(run.errors.total, 6);
      assert.equal(run.tasks.sent, 6);
      assert.equal(run.tasks.ok, 0);
      assert.equal(run.clients.completed, 2, 'a wrong value does not end the conversation');
      assert.equal(run.errorSamples[0], `client 0: FIB ${n} → expected "${fibValue(n)}", got "41"`);
      // A run with errors keeps its raw total time but stays out of the lesson's median.
      const summary = results.cells[0]!.summary;
      assert.equal(typeof run.totalMs, 'number');
      assert.equal(summary.completedRuns, 0);
      assert.equal(summary.totalMs.median, null);
      assert.equal(summary.errors, 6);
    } finally {
      await close(fake);
    }
  });

  it('counts ERR replies by code', { timeout: 20_000 }, async () => {
    const fake = await fakeServer(() => 'ERR SOCKETLAB_ERR_LIMIT_EXCEEDED too big');
    try {
      const results = await runSweep({ target: `127.0.0.1:${portOf(fake)}`, workloads: ['sleep'], clients: [2], runs: 1, tasksPerClient: 2, timeScale: 0.01 });
      const run = results.cells[0]!.runs[0]!;
      assert.deepEqual(run.errors.protocol, { SOCKETLAB_ERR_LIMIT_EXCEEDED: 4 });
      assert.equal(run.errors.total, 4);
    } finally {
      await close(fake);
    }
  });

  it('counts refused connections', { timeout: 20_000 }, async () => {
    const fake = await fakeServer(() => 'OK');
    const port = portOf(fake);
    await close(fake); // nothing listens there now
    const results = await runSweep({ target: `127.0.0.1:${port}`, workloads: ['ping'], clients: [3], runs: 1 });
    const run = results.cells[0]!.runs[0]!;
    assert.equal(run.errors.refused, 3);
    assert.equal(run.clients.failed, 3);
    assert.deepEqual(run.clients.connectMs, [null, null, null]);
    assert.equal(results.complete, true, 'the sweep itself completed; its runs recorded the errors');
    assert.ok(results.warnings.some((w) => /had errors/.test(w)));
  });

  it('counts connections closed before the reply, and times out silent servers', { timeout: 20_000 }, async () => {
    // Both read what they get (resume), or their sockets would never see the client's FIN and close.
    const closer = net.createServer((s) => s.on('error', () => {}).resume().end());
    const silent = net.createServer((s) => s.on('error', () => {}).resume());
    await Promise.all([closer, silent].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
    try {
      const closed = await runSweep({ target: `127.0.0.1:${portOf(closer)}`, workloads: ['ping'], clients: [2], runs: 1 });
      assert.equal(closed.cells[0]!.runs[0]!.errors.closed, 2);
      const timedOut = await runSweep({ target: `127.0.0.1:${portOf(silent)}`, workloads: ['ping'], clients: [2], runs: 1, runTimeoutMs: 300 });
      const run = timedOut.cells[0]!.runs[0]!;
      assert.equal(run.errors.timeout, 2);
      assert.match(run.errorSamples[0]!, /not finished within 300 ms/);
    } finally {
      await Promise.all([close(closer), close(silent)]);
    }
  });
});

describe('--target-pid: the target server\'s process on this machine', { skip: !HAS_PROCFS && 'no /proc' }, () => {
  // A real server process (mp-per-connection: a process per client), started here only to have a pid;
  // the sweep is told it is an external --target, which it neither starts nor stops.
  let srv: ServerProcess;
  before(async () => {
    srv = await ServerProcess.start('mp-per-connection', 0, { host: '127.0.0.1', poolSize: 4, startTimeoutMs: 15_000 });
  });
  after(async () => {
    await srv.stop(5000);
  });

  it('samples its process tree in every run like a server loadgen starts, and leaves it running', { timeout: 60_000 }, async () => {
    const results = await runSweep(
      { preset: 'smoke', target: `127.0.0.1:${srv.port}`, workloads: ['sleep'], clients: [3], runs: 2, timeScale: 0.05, quietWaitMs: 0, noiseRetries: 0 },
      { targetPid: srv.pid },
    );
    assert.deepEqual(validateResults(results).errors, []);
    const cell = results.cells[0]!;
    assert.deepEqual(cell.servers, [], 'loadgen started no server');
    assert.equal(cell.runs.length, 2);
    for (const run of cell.runs) {
      assert.equal(run.errors.total, 0, JSON.stringify(run.errorSamples));
      assert.equal(run.serverInstance, null, 'a target is none of the cell\'s servers');
      const usage = run.server;
      assert.ok(usage && usage.samples >= 2 && usage.cpuTotalMs !== null && usage.peakRssBytes! > 1e6, JSON.stringify(usage));
      // The tree, not just its root: a process per connected client.
      assert.ok(usage.peakProcesses! >= 2, `peakProcesses ${usage.peakProcesses}`);
      assert.equal(run.noise!.cohostedShards, undefined, 'not sharded: no co-hosted count');
    }
    assert.ok(isAlive(srv.pid), 'the target is still running: loadgen does not stop it');
  });

  it('refuses a pid that is no live process here, and one without a target, naming the option', async () => {
    const gone = 2 ** 22 + 1;
    await assert.rejects(runSweep({ target: `127.0.0.1:${srv.port}`, clients: [1] }, { targetPid: gone }), (err: Error & { code?: string }) =>
      err.code === 'SOCKETLAB_ERR_INVALID_OPTION' && err.message === `targetPid ${gone}: no such live process on this machine (the --target server must run here, in loadgen's pid namespace)`);
    await assert.rejects(runSweep({ designs: ['single-event-loop'], clients: [1] }, { targetPid: srv.pid }), /^InvalidOptionError: targetPid applies only with target/);
  });
});
