import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, encodeOk, encodeRequest, parseInfo } from '@socketlab/protocol';
import { INLINE_TEXT_MAX_BYTES } from '@socketlab/protocol/server';
import { rawExchange } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-mt';

/**
 * Where the pool runs each task (docs/protocol.md, "Where tasks run"), proven by order, not timings: a
 * task that crossed to a pool thread busy with a SLEEP is answered after that SLEEP; one the main thread
 * runs is answered before it.
 */
describe('mt pool: tasks that occupy no thread stay on the main thread', () => {
  it('answers PING, ECHO, short UPPER and REVERSE and WAIT while every pool thread is busy with a SLEEP; INFO, a long REVERSE and FIB wait for a thread', async () => {
    const server = await startServer({ strategy: 'pool', poolSize: 2 });
    try {
      const port = server.address.port;
      const [s1, s2, lean, crossing] = await Promise.all([connect({ port }), connect({ port }), connect({ port }), connect({ port })]);
      const order: string[] = [];
      const sleeps = [s1, s2].map((c) => c.request('SLEEP 1500').then(() => order.push('sleep')));
      // Both SLEEPs have been placed (one per thread: each goes to the thread with no blocking work).
      await new Promise((r) => setTimeout(r, 200));
      const long = 'é'.repeat(INLINE_TEXT_MAX_BYTES); // 2 bytes a character: over the inline limit
      const leanReplies = Promise.all([
        lean.request('PING').then((v) => order.push(`PING=${v}`)),
        lean.request('ECHO hi').then((v) => order.push(`ECHO=${v}`)),
        lean.request('UPPER straße').then((v) => order.push(`UPPER=${v}`)),
        lean.request('REVERSE añb').then((v) => order.push(`REVERSE=${v}`)),
        lean.request('WAIT 20').then((v) => order.push(`WAIT=${v}`)),
      ]);
      const crossingReplies = Promise.all([
        crossing.request('INFO').then((v) => order.push(`INFO thread=${server.workerThreadIds.includes(parseInfo(v).thread)}`)),
        crossing.request(`REVERSE ${long}`).then((v) => order.push(`long REVERSE=${v === long}`)),
        crossing.request('FIB 20').then((v) => order.push(`FIB=${v}`)),
      ]);
      await Promise.all([...sleeps, leanReplies, crossingReplies]);
      assert.deepEqual(order.slice(0, 5), ['PING=PONG', 'ECHO=hi', 'UPPER=STRASSE', 'REVERSE=bña', 'WAIT=20'], `answered on the main thread while both pool threads slept: ${order}`);
      assert.equal(order[5], 'sleep', `the next reply is a SLEEP's: INFO, the long REVERSE and FIB waited for a thread (${order})`);
      assert.deepEqual(order.slice(5).filter((o) => o !== 'sleep').sort(), ['FIB=6765', 'INFO thread=true', 'long REVERSE=true'], 'and were run by a pool thread');
      await Promise.all([s1, s2, lean, crossing].map((c) => c.exit()));
    } finally {
      await server.close();
    }
  });

  it('pipelined after a SLEEP on the same connection, PING and the rest are answered in request order', async () => {
    const server = await startServer({ strategy: 'pool', poolSize: 2 });
    try {
      // One write: the SLEEP goes to a pool thread, the PINGs, ECHO and WAIT are done on the main thread
      // at once, and must wait for the SLEEP's reply; a binary frame keeps its own framing.
      const requests = Buffer.concat([Buffer.from('SLEEP 300\nPING\nECHO a\n'), encodeRequest('PING', 'binary'), Buffer.from('WAIT 1\nINFO\nSLEEP 1\nPING\nEXIT\n')]);
      const { data, closedByServer } = await rawExchange(server.address.port, [requests]);
      const binaryPong = encodeOk('binary', 'PONG');
      const text = data.toString('latin1');
      const expected = new RegExp(`^OK 300\\nOK PONG\\nOK a\\n${escape(binaryPong.toString('latin1'))}OK 1\\nOK design=mt strategy=pool [^\\n]*io=main\\nOK 1\\nOK PONG\\nOK Goodbye!\\n$`);
      assert.match(text, expected);
      assert.equal(closedByServer, true);
    } finally {
      await server.close();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
