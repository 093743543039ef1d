import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, parseInfo } from '@socketlab/protocol';
import { waitFor } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-mp';

// This file's process runs node:cluster with SCHED_NONE (fixed by its first fork); prefork.test.ts has SCHED_RR.
describe('prefork, accept os (node:cluster SCHED_NONE: the children accept from one shared socket)', () => {
  it('serves every connection, concurrent ones too, and accounts each to the child that served it (the kernel need not spread them)', async () => {
    const server = await startServer({ strategy: 'prefork', accept: 'os', poolSize: 2 });
    try {
      const N = 16;
      const clients = await Promise.all(Array.from({ length: N }, () => connect({ port: server.address.port })));
      const pids = await Promise.all(clients.map(async (c) => parseInfo(await c.request('INFO')).pid));
      await Promise.all(clients.map((c) => c.exit()));
      for (const pid of pids) assert.ok(server.workerPids.includes(pid), 'served by one of its children, never the parent');
      assert.ok(await waitFor(() => server.stats().connections.closed === N, 5000), JSON.stringify(server.stats().connections));
      const s = server.stats();
      assert.equal(s.prefork.accept, 'os');
      assert.equal(s.connections.total, N);
      assert.equal(s.prefork.children.reduce((sum, c) => sum + c.accepted, 0), N);
      for (const c of s.prefork.children) assert.equal(c.accepted, pids.filter((p) => p === c.pid).length);
    } finally {
      await server.close();
    }
  });

  it('accept "rr" is refused in this process, clearly, once SCHED_NONE is fixed', async () => {
    await assert.rejects(startServer({ strategy: 'prefork', accept: 'rr', poolSize: 1 }), {
      code: 'SOCKETLAB_ERR_INVALID_OPTION',
      message: /accept "rr" cannot be used in this process: node:cluster's scheduling policy is process-wide and was already fixed to the operating system's/,
    });
  });
});
