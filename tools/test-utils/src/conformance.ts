import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect, encodeRequest, parseInfo, type Framing } from '@socketlab/protocol';
import type { ServerStats } from '@socketlab/protocol/server';
import { rawExchange, waitFor } from './helpers.ts';

export interface StartedServer {
  readonly address: net.AddressInfo;
  stats(): ServerStats;
  close(): Promise<void>;
}

export interface Variant {
  /** e.g. `mt-pool`. */
  name: string;
  design: string;
  strategy: string;
  /** Starts the variant with these options (merged over the suite's own). */
  start(options: Record<string, unknown>): Promise<StartedServer>;
  /** False for the iterative server: a second client waits until the first leaves. */
  concurrent: boolean;
}

// Small limits so the limit paths are cheap to reach.
const LIMITS = { maxLineBytes: 1024, maxFrameBytes: 4096, maxFibN: 25, maxSleepMs: 2000, maxInFlight: 4 };

const TASKS: [string, string][] = [
  ['PING', 'PONG'],
  ['ECHO hello  world', 'hello  world'],
  ['UPPER straße', 'STRASSE'],
  ['REVERSE añb😀', '😀bña'],
  ['SLEEP 20', '20'],
  ['WAIT 20', '20'],
  ['FIB 20', '6765'],
  ['HASH 2 abc', '4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358'],
];

/**
 * The one conformance suite every server variant must pass: the protocol's behaviour, whatever the
 * design. Design-specific concurrency is tested next to each design.
 */
export function runConformanceSuite(variant: Variant): void {
  describe(`conformance: ${variant.name}`, () => {
    let server: StartedServer;
    let port: number;
    before(async () => {
      server = await variant.start({ limits: LIMITS });
      port = server.address.port;
    });
    after(async () => {
      await server.close();
    });

    it('listens on 127.0.0.1 by default, on the port it reports', () => {
      assert.equal(server.address.address, '127.0.0.1');
      assert.ok(port > 0);
    });

    for (const framing of ['text', 'binary'] as Framing[]) {
      it(`runs every task in ${framing} framing, and INFO names the design`, async () => {
        const client = await connect({ port, framing });
        for (const [req, want] of TASKS) assert.equal(await client.request(req), want, req);
        const info = parseInfo(await client.request('INFO'));
        assert.equal(info.design, variant.design);
        assert.equal(info.strategy, variant.strategy);
        assert.ok(info.pid > 0);
        assert.equal(await client.exit(), 'Goodbye!');
      });
    }

    it('answers request errors with coded ERRs and keeps the connection', async () => {
      const client = await connect({ port });
      await assert.rejects(client.request('NOPE'), { code: 'SOCKETLAB_ERR_UNKNOWN_COMMAND' });
      await assert.rejects(client.request('FIB 26'), { code: 'SOCKETLAB_ERR_LIMIT_EXCEEDED' });
      await assert.rejects(client.request('SLEEP 9999'), { code: 'SOCKETLAB_ERR_LIMIT_EXCEEDED' });
      await assert.rejects(client.request('SLEEP x'), { code: 'SOCKETLAB_ERR_INVALID_ARGUMENT' });
      await assert.rejects(client.request(Buffer.from([0x55, 0x50, 0x50, 0x45, 0x52, 0x20, 0xff]), 'binary'), { code: 'SOCKETLAB_ERR_INVALID_UTF8' });
      assert.equal(await client.request('PING'), 'PONG');
      await client.exit();
    });

    it('pipelines beyond maxInFlight with replies in request order (backpressure, not errors)', async () => {
      const client = await connect({ port });
      const reqs = ['WAIT 40', 'SLEEP 10', 'PING', ...Array.from({ length: 60 }, (_, i) => `ECHO ${i}`), 'WAIT 5', 'FIB 10'];
      const want = ['40', '10', 'PONG', ...Array.from({ length: 60 }, (_, i) => String(i)), '5', '55'];
      const got = await Promise.all(reqs.map((r, i) => client.request(r, i % 3 === 0 ? 'binary' : 'text')));
      assert.deepEqual(got, want);
      await client.exit();
    });

    it('handles byte-at-a-time input', async () => {
      const bytes = [...Buffer.from('ECHO slow\r\nPING\nEXIT\n')].map((b) => Buffer.from([b]));
      const { data, closedByServer } = await rawExchange(port, bytes);
      assert.equal(data.toString(), 'OK slow\nOK PONG\nOK Goodbye!\n');
      assert.equal(closedByServer, true);
    });

    it('handles many requests coalesced in one chunk, in both framings', async () => {
      const many = Array.from({ length: 200 }, (_, i) => encodeRequest(`ECHO ${i}`, i % 2 ? 'binary' : 'text'));
      const { data } = await rawExchange(port, [Buffer.concat([...many, encodeRequest('EXIT')])]);
      const text = data.toString('latin1');
      assert.ok(text.endsWith('OK Goodbye!\n'));
      assert.ok(text.startsWith('OK 0\n\xff\x01\x02\x00\x00\x00\x00\x011OK 2\n'), JSON.stringify(text.slice(0, 40)));
    });

    it('answers EXIT, then closes after the reply; requests after EXIT are not run', async () => {
      const { data, closedByServer } = await rawExchange(port, ['PING\nEXIT\nPING\n']);
      assert.equal(data.toString(), 'OK PONG\nOK Goodbye!\n');
      assert.equal(closedByServer, true);
    });

    it('closes an oversized line with one ERR; still serves the next client', async () => {
      const { data, closedByServer } = await rawExchange(port, ['A'.repeat(3000)]);
      assert.match(data.toString(), /^ERR SOCKETLAB_ERR_LINE_TOO_LONG [^\n]*\n$/);
      assert.equal(closedByServer, true);
      const client = await connect({ port });
      assert.equal(await client.request('PING'), 'PONG');
      await client.exit();
    });

    it('closes an oversized or malformed frame with one ERR', async () => {
      const big = Buffer.from([0xff, 1, 1, 0, 0, 0, 0x40, 0]); // 16 KiB > maxFrameBytes
      const r1 = await rawExchange(port, [big]);
      assert.match(r1.data.toString('latin1'), /SOCKETLAB_ERR_FRAME_TOO_LARGE/);
      assert.equal(r1.closedByServer, true);
      const r2 = await rawExchange(port, [Buffer.from([0xff, 7, 1, 0, 0, 0, 0, 0])]);
      assert.match(r2.data.toString('latin1'), /SOCKETLAB_ERR_MALFORMED_FRAME/);
    });

    it('refuses HTTP with one ERR and closes', async () => {
      const { data, closedByServer } = await rawExchange(port, ['GET / HTTP/1.1\r\nHost: localhost\r\n\r\n']);
      assert.match(data.toString(), /^ERR SOCKETLAB_ERR_HTTP_REQUEST [^\n]*\n$/);
      assert.equal(closedByServer, true);
    });

    it('survives a client that vanishes mid-task, and serves the next one', async () => {
      await new Promise<void>((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1' }, () => {
          s.write('SLEEP 150\nWAIT 150\n');
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 30);
        });
        s.on('error', () => {});
      });
      const client = await connect({ port });
      assert.equal(await client.request('PING'), 'PONG');
      await client.exit();
      const closedAll = await waitFor(() => server.stats().connections.active === 0, 5000);
      assert.ok(closedAll, 'every connection is accounted as closed');
    });

    it('keeps stats', async () => {
      const stats = server.stats();
      assert.equal(stats.design, variant.design);
      assert.equal(stats.strategy, variant.strategy);
      assert.ok(stats.connections.total >= 10);
      assert.ok(stats.errors >= 5);
      await waitFor(() => server.stats().tasks > 20);
      assert.ok(server.stats().tasks > 20);
    });

    it('rejects bad options, naming the option', async () => {
      await assert.rejects(variant.start({ port: -1 }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /port must be an integer between 0 and 65535/ });
      await assert.rejects(variant.start({ limits: { maxFibN: 'x' } }), { message: /limits\.maxFibN must be an integer/ });
      await assert.rejects(variant.start({ prot: 1 }), { message: /unknown option prot/ });
    });
  });

  describe(`conformance: ${variant.name} limits and shutdown`, () => {
    it('turns away connections beyond maxConnections with one ERR', async () => {
      const server = await variant.start({ maxConnections: 1 });
      try {
        const first = await connect({ port: server.address.port });
        if (variant.concurrent) assert.equal(await first.request('PING'), 'PONG');
        const { data, closedByServer } = await rawExchange(server.address.port, []);
        assert.match(data.toString(), /^ERR SOCKETLAB_ERR_TOO_MANY_CONNECTIONS /);
        assert.equal(closedByServer, true);
        if (!variant.concurrent) assert.equal(await first.request('PING'), 'PONG');
        await first.exit();
        assert.equal(server.stats().connections.rejected, 1);
      } finally {
        await server.close();
      }
    });

    it('closes an idle connection with a coded ERR', async () => {
      const server = await variant.start({ idleTimeoutMs: 100 });
      try {
        const { data, closedByServer } = await rawExchange(server.address.port, ['PING\n']);
        assert.match(data.toString(), /^OK PONG\nERR SOCKETLAB_ERR_IDLE_TIMEOUT /);
        assert.equal(closedByServer, true);
      } finally {
        await server.close();
      }
    });

    it('close() lets an in-flight task finish and answers it, then stops everything', async () => {
      const server = await variant.start({});
      const client = await connect({ port: server.address.port });
      assert.equal(await client.request('PING'), 'PONG');
      // A WAIT starts as soon as it is read. (A SLEEP starts on an event-loop turn of its own, so one
      // read but not yet started when close() is seen is answered SHUTTING_DOWN, as it should be: on a
      // loaded machine 50 ms did not always see it start. The shutdown-at-load case covers SLEEPs.)
      const pending = client.request('WAIT 300');
      await new Promise((r) => setTimeout(r, 100));
      const closing = server.close();
      assert.equal(await pending, '300', 'the in-flight WAIT is answered');
      await client.closed; // then the server closes the connection
      await closing;
      const stats = server.stats();
      assert.equal(stats.connections.active, 0);
      assert.equal(stats.workers.alive, 0, 'no worker thread or process outlives close()');
      await assert.rejects(connect({ port: server.address.port, connectTimeoutMs: 1000 }), /ECONNREFUSED/);
    });

    it('close() cuts tasks still running after drainTimeoutMs', async () => {
      const server = await variant.start({ drainTimeoutMs: 50 });
      const client = await connect({ port: server.address.port });
      assert.equal(await client.request('PING'), 'PONG');
      const outcome = client.request('WAIT 1500').then(() => 'answered', (err: { code?: string }) => err.code);
      await new Promise((r) => setTimeout(r, 30));
      const t = performance.now();
      await server.close();
      assert.ok(performance.now() - t < 1400, 'close() did not wait for the 1.5 s task');
      assert.equal(await outcome, 'SOCKETLAB_ERR_SHUTTING_DOWN', 'the cut request is told why');
      assert.equal(server.stats().workers.alive, 0);
    });
  });
}
