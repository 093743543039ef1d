import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, parseInfo, type Client } from '@socketlab/protocol';
import { rawExchange, waitFor } from '@socketlab/test-utils';
import { startServer, type PreforkServer } from '@socketlab/server-mp';

/** Opens `n` connections one after the other, each asking INFO; returns the pids that served them. */
async function servedBy(port: number, n: number): Promise<number[]> {
  const pids: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connect({ port });
    pids.push(parseInfo(await c.request('INFO')).pid);
    await c.exit();
  }
  return pids;
}

/** Every connection counted once, by the child that served it, and the totals agree. */
async function assertAccounted(server: PreforkServer, n: number, pids: number[]): Promise<void> {
  assert.ok(await waitFor(() => server.stats().connections.closed === n, 5000), JSON.stringify(server.stats().connections));
  const s = server.stats();
  assert.equal(s.connections.total, n);
  assert.equal(s.connections.active, 0);
  assert.equal(s.prefork.children.reduce((sum, c) => sum + c.accepted, 0), n, 'per-child counts add up to the total');
  for (const c of s.prefork.children) {
    assert.equal(c.accepted, pids.filter((p) => p === c.pid).length, `child ${c.pid}: its count is the connections INFO says it served`);
  }
}

// This file's process runs node:cluster with SCHED_RR (fixed by its first fork); prefork-os.test.ts has SCHED_NONE.
describe('prefork, accept rr (node:cluster round-robin)', () => {
  it('spreads sequential connections over the children, and accounts each to the child that served it', async () => {
    const server = await startServer({ strategy: 'prefork', accept: 'rr', poolSize: 2 });
    try {
      const pids = await servedBy(server.address.port, 12);
      assert.ok(new Set(pids).size >= 2, `at least two children served (${pids.join(', ')})`);
      for (const pid of pids) assert.ok(server.workerPids.includes(pid), 'served by one of its children');
      assert.ok(!pids.includes(process.pid), 'never by the parent');
      await assertAccounted(server, 12, pids);
      assert.equal(server.stats().prefork.accept, 'rr');
    } finally {
      await server.close();
    }
  });

  it('node:cluster\'s policy is process-wide: accept "os" is refused here, clearly, once rr is fixed', async () => {
    await assert.rejects(startServer({ strategy: 'prefork', accept: 'os', poolSize: 1 }), {
      code: 'SOCKETLAB_ERR_INVALID_OPTION',
      message: /accept "os" cannot be used in this process: node:cluster's scheduling policy is process-wide and was already fixed to round-robin/,
    });
  });

  it('a killed child: its client gets WORKER_CRASHED, a client of another child is unaffected, the place is refilled', async () => {
    const server = await startServer({ strategy: 'prefork', accept: 'rr', poolSize: 2 });
    const clients: Client[] = [];
    try {
      // Two clients on two different children (round-robin deals them out in turn; retry until so).
      const byPid = new Map<number, Client>();
      for (let i = 0; i < 8 && byPid.size < 2; i++) {
        const c = await connect({ port: server.address.port });
        clients.push(c);
        const pid = parseInfo(await c.request('INFO')).pid;
        if (!byPid.has(pid)) byPid.set(pid, c);
      }
      assert.equal(byPid.size, 2, 'two children serving');
      const [victimPid, otherPid] = [...byPid.keys()] as [number, number];
      const victim = byPid.get(victimPid)!;
      const other = byPid.get(otherPid)!;
      const survives = other.request('WAIT 600');
      const crashed = victim.request('WAIT 3000').then(() => 'answered', (e: { code?: string }) => e.code);
      await new Promise((r) => setTimeout(r, 100));
      const index = server.workerPids.indexOf(victimPid);
      assert.equal(server.experimental_killWorker(index), victimPid);
      assert.equal(await crashed, 'SOCKETLAB_ERR_WORKER_CRASHED');
      assert.equal(await survives, '600', `the client of child ${otherPid} is answered`);
      assert.equal(await other.request('PING'), 'PONG');
      assert.ok(await waitFor(() => server.stats().workers.alive === 2 && server.workerPids.every((p) => p > 0 && p !== victimPid), 10_000), JSON.stringify(server.stats().workers));
      const s = server.stats();
      assert.equal(s.workers.crashed, 1);
      assert.equal(s.prefork.children[index]!.restarts, 1, 'the replacement took the dead child\'s place');
      // The replacement serves (round-robin reaches it within two connections).
      const pids = await servedBy(server.address.port, 4);
      assert.ok(pids.includes(server.workerPids[index]!), `the replacement ${server.workerPids[index]} serves (${pids.join(', ')})`);
    } finally {
      for (const c of clients) c.socket.destroy();
      await server.close();
    }
  });
});

describe('prefork, crashAnswer off (no socket copy in the parent)', () => {
  it('serves and accounts as with the copy; a killed child\'s client sees its connection closed, with no answer, and the others go on', async () => {
    const server = await startServer({ strategy: 'prefork', accept: 'rr', poolSize: 2, crashAnswer: 'off' });
    const clients: Client[] = [];
    const servedByPid: number[] = [];
    try {
      assert.equal(server.options.crashAnswer, 'off');
      const byPid = new Map<number, Client>();
      for (let i = 0; i < 8 && byPid.size < 2; i++) {
        const c = await connect({ port: server.address.port });
        clients.push(c);
        const pid = parseInfo(await c.request('INFO')).pid;
        servedByPid.push(pid);
        if (!byPid.has(pid)) byPid.set(pid, c);
      }
      assert.equal(byPid.size, 2, 'two children serving');
      const [victimPid, otherPid] = [...byPid.keys()] as [number, number];
      const survives = byPid.get(otherPid)!.request('WAIT 600');
      const crashed = byPid.get(victimPid)!.request('WAIT 3000').then(() => 'answered', (e: { code?: string }) => e.code);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(server.experimental_killWorker(server.workerPids.indexOf(victimPid)), victimPid);
      // Without the copy nobody is left to answer: the kernel closes the dead child's sockets.
      assert.notEqual(await crashed, 'SOCKETLAB_ERR_WORKER_CRASHED');
      assert.notEqual(await crashed, 'answered');
      assert.equal(await survives, '600', `the client of child ${otherPid} is answered`);
      // The parent still counts the dead child's connections as closed (crashed), and its permits come back.
      const survivors = servedByPid.filter((p) => p === otherPid).length;
      assert.ok(await waitFor(() => server.stats().workers.crashed === 1 && server.stats().connections.active === survivors, 5000), JSON.stringify(server.stats().connections));
      const pids = await servedBy(server.address.port, 4);
      assert.equal(pids.length, 4, 'new connections are served');
    } finally {
      for (const c of clients) c.socket.destroy();
      await server.close();
    }
  });

  it('crashAnswer is checked, and applies to strategy prefork only', async () => {
    await assert.rejects(startServer({ strategy: 'prefork', crashAnswer: 'maybe' as 'off' }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /crashAnswer must be one of "copy", "off"/ });
    await assert.rejects(startServer({ strategy: 'pool', crashAnswer: 'off' }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /crashAnswer applies to strategy prefork only \(got strategy pool\)/ });
  });
});

describe('prefork, accept reuseport (a listening socket per child)', () => {
  it('serves every connection and accounts each to the child that served it (the kernel may or may not spread them)', async () => {
    const server = await startServer({ strategy: 'prefork', accept: 'reuseport', poolSize: 2 });
    try {
      const pids = await servedBy(server.address.port, 12);
      for (const pid of pids) assert.ok(server.workerPids.includes(pid), 'served by one of its children');
      await assertAccounted(server, 12, pids);
      assert.equal(server.stats().prefork.accept, 'reuseport');
    } finally {
      await server.close();
    }
  });
});

describe('prefork: maxConnections is kept across children (permits)', () => {
  for (const accept of ['rr', 'reuseport'] as const) {
    it(`${accept}: exactly maxConnections open at once, wherever the kernel or the round-robin put them; a closed one frees its place`, async () => {
      const server = await startServer({ strategy: 'prefork', accept, poolSize: 2, maxConnections: 3 });
      const open: Client[] = [];
      try {
        // Five attempts, one after the other while the others stay open: three are served, two turned away.
        const outcomes: string[] = [];
        for (let i = 0; i < 5; i++) {
          const c = await connect({ port: server.address.port });
          const r = await c.request('PING').then((v) => v, (e: { code?: string }) => e.code ?? 'error');
          outcomes.push(r);
          if (r === 'PONG') open.push(c);
          else c.socket.destroy();
        }
        assert.deepEqual(outcomes, ['PONG', 'PONG', 'PONG', 'SOCKETLAB_ERR_TOO_MANY_CONNECTIONS', 'SOCKETLAB_ERR_TOO_MANY_CONNECTIONS']);
        assert.equal(server.stats().connections.rejected, 2);
        await open.shift()!.exit();
        assert.ok(await waitFor(() => server.stats().connections.active === 2, 5000));
        // Whichever child gets the next one, a place is free somewhere: it is served.
        for (let i = 0; i < 4; i++) {
          const { data } = await rawExchange(server.address.port, ['PING\nEXIT\n']);
          assert.equal(data.toString(), 'OK PONG\nOK Goodbye!\n', `connection ${i} after one closed`);
          // The server learns of a close a moment after the client does; until then its place is taken.
          assert.ok(await waitFor(() => server.stats().connections.active === 2, 5000));
        }
      } finally {
        for (const c of open) c.socket.destroy();
        await server.close();
      }
    });
  }
});

describe('prefork options', () => {
  it('accept is for strategy prefork only; the spare options are not for prefork; accept takes rr, os or reuseport', async () => {
    await assert.rejects(startServer({ strategy: 'pool', accept: 'rr' }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /accept applies to strategy prefork only \(got strategy pool\)/ });
    await assert.rejects(startServer({ strategy: 'prefork', minSpares: 1 }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /minSpares applies to strategy per-connection only \(got strategy prefork\)/ });
    await assert.rejects(startServer({ strategy: 'prefork', maxConnectionsPerWorker: 1 }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /maxConnectionsPerWorker applies to strategy per-connection only \(got strategy prefork\)/ });
    await assert.rejects(startServer({ strategy: 'prefork', accept: 'random' as never }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /accept must be one of "rr", "os", "reuseport"/ });
  });
});
