import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { connect, parseInfo, socketTransferSupported } from '@socketlab/protocol';
import { waitFor } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-mt';

const skip = socketTransferSupported() ? false : 'this Node cannot transfer a socket to a worker thread';

/**
 * A client in a thread of its own (this process's main thread is about to be blocked, and the server
 * runs on it). Shared Int32Array: [0] set to 1 once the client has its replies, [1] set to 1 by the
 * main thread just before it blocks. The client connects, reports its INFO, waits for [1], then sends
 * its requests: so every request is sent while the main thread is blocked.
 */
const CLIENT = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData.shared);
const socket = net.connect({ port: workerData.port, host: '127.0.0.1' });
let data = '';
socket.setEncoding('utf8');
socket.on('data', (d) => {
  data += d;
  if (data.split('\\n').length === 2) {
    parentPort.postMessage(data.trim());
    Atomics.wait(flags, 1, 0);
    socket.write('SLEEP 50\\nECHO while blocked\\n');
  } else if (data.split('\\n').length === 4) {
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    socket.end('EXIT\\n');
  }
});
socket.write('INFO\\n');
`;

/** Blocks this thread (and so the server's main thread) until the client has its replies, or `ms`; returns which came first. */
async function blockMainThreadWhileClientTalks(port: number, ms: number): Promise<{ info: string; outcome: 'ok' | 'timed-out' | 'not-equal' }> {
  const shared = new SharedArrayBuffer(8);
  const flags = new Int32Array(shared);
  const client = new Worker(CLIENT, { eval: true, workerData: { port, shared } });
  const info = await new Promise<string>((resolve) => client.once('message', resolve));
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  // A synchronous wait: no event of this thread (the server's accepts, reads, writes) runs until it returns.
  const outcome = Atomics.wait(flags, 0, 0, ms);
  await new Promise((resolve) => client.once('exit', resolve));
  return { info, outcome };
}

describe('mt per-connection: a thread that owns its socket', { skip }, () => {
  it('serves its client while the main thread is blocked; with main-thread I/O the client waits for the main thread', async () => {
    const owning = await startServer({ strategy: 'per-connection' });
    try {
      const { info, outcome } = await blockMainThreadWhileClientTalks(owning.address.port, 20_000);
      assert.equal(parseInfo(info.replace(/^OK /, '')).io, 'thread');
      assert.equal(outcome, 'ok', 'the client got both replies before the blocked main thread ran again');
      assert.ok(await waitFor(() => owning.stats().connections.closed === 1));
      assert.deepEqual(owning.stats().io, { thread: 1, main: 0 });
      assert.equal(owning.stats().tasks, 4, 'the owning thread reported its connection\'s tasks when it closed');
    } finally {
      await owning.close();
    }
    // The control: the same client against main-thread I/O gets nothing while the main thread is blocked.
    const main = await startServer({ strategy: 'per-connection', socketIo: 'main' });
    try {
      const { info, outcome } = await blockMainThreadWhileClientTalks(main.address.port, 1000);
      assert.equal(parseInfo(info.replace(/^OK /, '')).io, 'main');
      assert.equal(outcome, 'timed-out', 'no reply while the main thread was blocked');
      assert.deepEqual(main.stats().io, { thread: 0, main: 1 });
    } finally {
      await main.close();
    }
  });

  it('a client that waited at the worker cap is handed over if it sent nothing meanwhile; one that sent bytes (already read) gets main-thread I/O', async () => {
    const server = await startServer({ strategy: 'per-connection', maxWorkers: 1 });
    try {
      const port = server.address.port;
      const a = await connect({ port });
      assert.equal(parseInfo(await a.request('INFO')).io, 'thread');
      const b = await connect({ port });
      const bInfo = b.request('INFO'); // read ahead while b waits: its socket can no longer be transferred
      const c = await connect({ port }); // c says nothing until its turn
      await a.exit();
      assert.equal(parseInfo(await bInfo).io, 'main');
      assert.equal(await b.request('PING'), 'PONG');
      await b.exit();
      assert.ok(await waitFor(() => server.stats().connections.closed === 2));
      assert.equal(parseInfo(await c.request('INFO')).io, 'thread');
      await c.exit();
      assert.ok(await waitFor(() => server.stats().connections.active === 0));
      assert.deepEqual(server.stats().io, { thread: 2, main: 1 });
    } finally {
      await server.close();
    }
  });
});

it('rejects a bad socketIo, naming the option', async () => {
  await assert.rejects(startServer({ socketIo: 'worker' as never }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /socketIo must be one of/ });
});
