import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, encodeRequest, parseInfo, type Framing } from '../src/index.ts';
import { rawExchange, startTestServer } from './helpers.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const EXPECTED: [string, string][] = [
  ['PING', 'PONG'],
  ['ECHO hello world', 'hello world'],
  ['UPPER héllo', 'HÉLLO'],
  ['REVERSE añb😀', '😀bña'],
  ['SLEEP 10', '10'],
  ['WAIT 10', '10'],
  ['FIB 15', '610'],
  ['HASH 1 abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
];

describe('client and codec round-trip against a real socket', () => {
  let server: Server;
  before(async () => {
    server = await startTestServer({ maxLineBytes: 1024, maxFrameBytes: 4096, maxInFlight: 4 }, 0);
  });
  after(() => server.close());

  for (const framing of ['text', 'binary'] as Framing[]) {
    it(`every task in ${framing} framing`, async () => {
      const client = await connect({ port: server.port, framing });
      for (const [req, want] of EXPECTED) assert.equal(await client.request(req), want, req);
      const info = parseInfo(await client.request('INFO'));
      assert.equal(info.design, 'test');
      await assert.rejects(client.request('NOPE'), { code: 'SOCKETLAB_ERR_UNKNOWN_COMMAND' });
      assert.equal(await client.request('PING'), 'PONG', 'the connection goes on after a request error');
      assert.equal(await client.exit(), 'Goodbye!');
      await assert.rejects(client.request('PING'), { code: 'SOCKETLAB_ERR_CONNECTION_CLOSED' });
    });
  }

  it('binary framing carries any bytes', async () => {
    const client = await connect({ port: server.port, framing: 'binary' });
    const payload = Buffer.from([0, 1, 10, 13, 255, 0x0a]);
    const reply = await client.requestRaw(Buffer.concat([Buffer.from('ECHO '), payload]));
    assert.deepEqual(reply, payload);
    await client.close();
  });

  it('pipelines: many requests without waiting, replies in request order, beyond maxInFlight', async () => {
    const client = await connect({ port: server.port });
    // WAIT 30 then PINGs: the PINGs finish first inside the server but must be answered after.
    const reqs = ['WAIT 30', 'PING', 'ECHO 1', 'WAIT 5', 'ECHO 2', ...Array.from({ length: 40 }, (_, i) => `ECHO n${i}`)];
    const replies = await Promise.all(reqs.map((r, i) => client.request(r, i % 2 ? 'binary' : 'text')));
    assert.deepEqual(replies, ['30', 'PONG', '1', '5', '2', ...Array.from({ length: 40 }, (_, i) => `n${i}`)]);
    await client.close();
  });

  it('mixes framings on one connection, and answers each in its own framing', async () => {
    const wire = Buffer.concat([encodeRequest('PING'), encodeRequest('ECHO x', 'binary'), encodeRequest('EXIT')]);
    const { data, closedByServer } = await rawExchange(server.port, [wire]);
    assert.equal(closedByServer, true);
    const text = data.toString('latin1');
    assert.ok(text.startsWith('OK PONG\n\xff\x01\x02\x00\x00\x00\x00\x01x'), JSON.stringify(text));
    assert.ok(text.endsWith('OK Goodbye!\n'));
  });

  it('answers byte-at-a-time input', async () => {
    const bytes = [...Buffer.from('ECHO slow\r\nEXIT\r\n')].map((b) => Buffer.from([b]));
    const { data } = await rawExchange(server.port, bytes);
    assert.equal(data.toString(), 'OK slow\nOK Goodbye!\n');
  });

  it('closes on an oversized line with a coded ERR, and keeps serving others', async () => {
    const { data, closedByServer } = await rawExchange(server.port, ['A'.repeat(5000)]);
    assert.match(data.toString(), /^ERR SOCKETLAB_ERR_LINE_TOO_LONG /);
    assert.equal(closedByServer, true);
    const client = await connect({ port: server.port });
    assert.equal(await client.request('PING'), 'PONG');
    await client.close();
  });

  it('closes on HTTP with one ERR', async () => {
    const { data, closedByServer } = await rawExchange(server.port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
    assert.equal(data.toString().split('\n').filter(Boolean).length, 1);
    assert.match(data.toString(), /^ERR SOCKETLAB_ERR_HTTP_REQUEST /);
    assert.equal(closedByServer, true);
  });

  it('answers requests sent before the client half-closes', async () => {
    const { data } = await new Promise<{ data: Buffer }>((resolve) => {
      import('node:net').then(({ default: net }) => {
        const s = net.connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end('WAIT 20\nPING\n'));
        const parts: Buffer[] = [];
        s.on('data', (d) => parts.push(d));
        s.on('close', () => resolve({ data: Buffer.concat(parts) }));
      });
    });
    assert.equal(data.toString(), 'OK 20\nOK PONG\n');
  });

  it('validates client options by name', async () => {
    await assert.rejects(async () => connect({ port: 0 }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /port must be an integer between 1 and 65535/ });
    await assert.rejects(async () => connect({ port: 1, framing: 'json' as Framing }), { message: /framing must be one of/ });
    await assert.rejects(async () => connect({ port: 1, hots: 'x' } as never), { message: /unknown option hots/ });
  });
});

describe('idle timeout', () => {
  it('closes an idle connection with a coded ERR', async () => {
    const server = await startTestServer({}, 50);
    try {
      const { data, closedByServer } = await rawExchange(server.port, []);
      assert.match(data.toString(), /^ERR SOCKETLAB_ERR_IDLE_TIMEOUT /);
      assert.equal(closedByServer, true);
    } finally {
      await server.close();
    }
  });
});
