import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MESSAGE_BRAND } from '@socketlab/protocol';
import { decodeHistogram } from '@socketlab/results';
import { runClients } from '../src/client-core.ts';
import type { ClientSpec, PrepareMessage } from '../src/messages.ts';

/**
 * A fake server: each request line is answered with the pieces `answer(request, index)` returns, written
 * one by one a little apart so that they usually arrive as separate chunks (the outcome must not depend on
 * how they arrive). EXIT gets `exit` and the connection is ended.
 */
function pieceServer(answer: (request: string, index: number) => string[], exit: string[] = ['OK Goodbye!\n']): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let buffered = '';
    let index = 0;
    let queue = Promise.resolve();
    const writeAll = (pieces: string[], end: boolean) => {
      queue = queue.then(async () => {
        for (const [i, p] of pieces.entries()) {
          if (i > 0) await new Promise((r) => setTimeout(r, 5));
          if (!socket.destroyed) socket.write(p);
        }
        if (end) socket.end();
      });
    };
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const request = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (request === 'EXIT') writeAll(exit, true);
        else writeAll(answer(request, index++), false);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const close = (s: net.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

function prepare(server: net.Server, clients: ClientSpec[]): PrepareMessage {
  return { [MESSAGE_BRAND]: true, type: 'prepare', runId: 1, host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, connectTimeoutMs: 5000, runTimeoutMs: 10_000, sourceAddresses: [], clients,
    protocol: 'socketlab', raw: { terminator: null, bytes: null, gapMs: 20 }, exit: { request: 'EXIT', expected: { kind: 'exact', value: 'Goodbye!' } }, runDefinition: 'release-then-connect' };
}

const pings = (index: number, n: number): ClientSpec => ({ index, requests: Array(n).fill('PING'), expected: Array(n).fill({ kind: 'exact', value: 'PONG' }) });

describe('a client checks every reply, however it arrives', () => {
  it('accepts right replies whole, split over chunks, or with CRLF, and records each latency', { timeout: 20_000 }, async () => {
    // Request 0 whole, 1 split in three, 2 with CRLF, 3 whole again (after the split ones), 4 split.
    const server = await pieceServer((_, i) => [['OK PONG\n'], ['OK', ' PO', 'NG\n'], ['OK PONG\r\n'], ['OK PONG\n'], ['OK PONG', '\n']][i % 5]!, ['OK Good', 'bye!\n']);
    try {
      const { clients, histogram } = await runClients(prepare(server, [pings(0, 5), pings(1, 5)]));
      for (const c of clients) {
        assert.equal(c.failure, null, c.messages.join('; '));
        assert.equal(c.tasksSent, 5);
        assert.equal(c.tasksOk, 5);
        assert.equal(c.wrongResult, 0);
        assert.notEqual(c.doneAt, null);
      }
      assert.equal(decodeHistogram(histogram).totalCount, 10, 'one latency per task');
    } finally {
      await close(server);
    }
  });

  it('counts a wrong value as wrongResult, even one as long as the right one, and goes on', { timeout: 20_000 }, async () => {
    // PANG: same length as PONG; PONGS: PONG plus a byte; PO + NG\n + junk in one line.
    const server = await pieceServer((_, i) => [['OK PANG\n'], ['OK PONG\n'], ['OK PONGS\n'], ['OK PO', 'NGX\n']][i]!);
    try {
      const { clients } = await runClients(prepare(server, [pings(0, 4)]));
      const c = clients[0]!;
      assert.equal(c.failure, null);
      assert.equal(c.tasksSent, 4);
      assert.equal(c.tasksOk, 1);
      assert.equal(c.wrongResult, 3);
      assert.deepEqual(c.messages, ['client 0: PING → expected "PONG", got "PANG"', 'client 0: PING → expected "PONG", got "PONGS"', 'client 0: PING → expected "PONG", got "PONGX"']);
    } finally {
      await close(server);
    }
  });

  it('counts ERR replies by code, and a wrong answer to EXIT', { timeout: 20_000 }, async () => {
    const server = await pieceServer((_, i) => (i === 0 ? ['ERR SOCKETLAB_ERR_LIMIT_EXCEEDED too big\n'] : ['OK PONG\n']), ['OK Bye\n']);
    try {
      const { clients } = await runClients(prepare(server, [pings(0, 2)]));
      const c = clients[0]!;
      assert.deepEqual(c.protocol, { SOCKETLAB_ERR_LIMIT_EXCEEDED: 1 });
      assert.equal(c.tasksOk, 1);
      assert.equal(c.wrongResult, 1, 'Bye is not Goodbye!');
      assert.match(c.messages[1]!, /EXIT → expected "Goodbye!", got "Bye"/);
    } finally {
      await close(server);
    }
  });
});

describe('aborting a run', () => {
  it('ends every client of the run, whether the signal fires during the run or had fired before it', { timeout: 20_000 }, async () => {
    const silent = net.createServer((s) => s.on('error', () => {}).resume());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const during = new AbortController();
      const running = runClients(prepare(silent, [pings(0, 1), pings(1, 1), pings(2, 1)]), during.signal);
      await new Promise((r) => setTimeout(r, 100));
      during.abort();
      const before = new AbortController();
      before.abort();
      for (const { clients } of [await running, await runClients(prepare(silent, [pings(0, 1), pings(1, 1)]), before.signal)]) {
        for (const c of clients) {
          assert.equal(c.failure, 'other');
          assert.deepEqual(c.messages, [`client ${c.index}: aborted: the sweep was interrupted`]);
        }
      }
    } finally {
      await close(silent);
    }
  });
});
