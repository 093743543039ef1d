import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, parseInfo } from '@socketlab/protocol';
import { startServer } from '@socketlab/server-single';
import { whoFinishesFirst } from '@socketlab/test-utils';

describe('event-loop: every client at once on one thread', () => {
  it('WAITs overlap: a later, shorter WAIT is answered first', async () => {
    const server = await startServer({ mode: 'event-loop' });
    try {
      assert.equal(await whoFinishesFirst(server.address.port, 'WAIT 600', 'WAIT 20'), 'B');
    } finally {
      await server.close();
    }
  });

  it('SLEEPs do not: a later, shorter SLEEP waits for the long one', async () => {
    const server = await startServer({ mode: 'event-loop' });
    try {
      assert.equal(await whoFinishesFirst(server.address.port, 'SLEEP 400', 'SLEEP 20'), 'A');
    } finally {
      await server.close();
    }
  });

  it('FIB stalls everyone, even a PING', async () => {
    const server = await startServer({ mode: 'event-loop' });
    try {
      assert.equal(await whoFinishesFirst(server.address.port, 'FIB 35', 'PING'), 'A');
    } finally {
      await server.close();
    }
  });

  it('every client is served by the same process and thread', async () => {
    const server = await startServer({ mode: 'event-loop' });
    try {
      const clients = await Promise.all(Array.from({ length: 4 }, () => connect({ port: server.address.port })));
      const infos = await Promise.all(clients.map(async (c) => parseInfo(await c.request('INFO'))));
      assert.equal(new Set(infos.map((i) => `${i.pid}/${i.thread}`)).size, 1);
      assert.equal(infos[0]!.pid, process.pid);
      await Promise.all(clients.map((c) => c.exit()));
    } finally {
      await server.close();
    }
  });
});
