import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@socketlab/protocol';
import { startServer } from '@socketlab/server-single';
import { rawExchange } from '@socketlab/test-utils';

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('iterative: the lesson\'s figures 1-4', () => {
  it('B gets nothing until A leaves; then B is served; then the server waits for more', async () => {
    const server = await startServer({ mode: 'iterative' });
    const port = server.address.port;
    try {
      // Fig. 1: A connected and served, B connected and waiting.
      const a = await connect({ port });
      assert.equal(await a.request('PING'), 'PONG');
      const b = await connect({ port });
      let bAnswered = false;
      const bReply = b.request('ECHO from B').then((v) => {
        bAnswered = true;
        return v;
      });
      // Fig. 2: the server keeps serving A; B's request sits unanswered.
      for (let i = 0; i < 5; i++) {
        assert.equal(await a.request(`ECHO a${i}`), `a${i}`);
        await tick(20);
        assert.equal(bAnswered, false, 'B is not served while A is connected');
      }
      assert.equal(server.stats().connections.active, 2, 'B is connected (accepted) while it waits');
      // Fig. 3: A leaves; B is served.
      assert.equal(await a.exit(), 'Goodbye!');
      assert.equal(await bReply, 'from B');
      assert.equal(await b.exit(), 'Goodbye!');
      // Fig. 4: every client gone, the server waits for (and serves) the next one.
      const c = await connect({ port });
      assert.equal(await c.request('PING'), 'PONG');
      await c.close();
    } finally {
      await server.close();
    }
  });

  it('serves waiting clients in arrival order', async () => {
    const server = await startServer({ mode: 'iterative' });
    const port = server.address.port;
    try {
      const first = await connect({ port });
      assert.equal(await first.request('PING'), 'PONG');
      const order: string[] = [];
      const waiting = [];
      for (const name of ['B', 'C', 'D']) {
        const client = await connect({ port });
        waiting.push(client.request(`ECHO ${name}`).then((v) => (order.push(v), client.exit())));
        await tick(20); // let the server accept them in this order
      }
      await first.exit();
      await Promise.all(waiting);
      assert.deepEqual(order, ['B', 'C', 'D']);
    } finally {
      await server.close();
    }
  });

  it('a client that disconnects (without EXIT) also hands the turn on', async () => {
    const server = await startServer({ mode: 'iterative' });
    const port = server.address.port;
    try {
      const a = await connect({ port });
      assert.equal(await a.request('PING'), 'PONG');
      const b = await connect({ port });
      const bReply = b.request('PING');
      a.socket.destroy();
      assert.equal(await bReply, 'PONG');
      await b.exit();
    } finally {
      await server.close();
    }
  });

  it('bounds the wait queue by backlog: beyond it, BACKLOG_FULL', async () => {
    const server = await startServer({ mode: 'iterative', backlog: 1 });
    const port = server.address.port;
    try {
      const a = await connect({ port });
      assert.equal(await a.request('PING'), 'PONG');
      const b = await connect({ port }); // waits in the queue (1 place)
      await tick();
      const { data, closedByServer } = await rawExchange(port, ['PING\n']);
      assert.match(data.toString(), /^ERR SOCKETLAB_ERR_BACKLOG_FULL /);
      assert.equal(closedByServer, true);
      await a.exit();
      assert.equal(await b.request('PING'), 'PONG');
      await b.exit();
      assert.equal(server.stats().connections.rejected, 1);
    } finally {
      await server.close();
    }
  });
});
