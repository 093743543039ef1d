import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { MAX_REPLY_BYTES, MAX_ERROR_TEXT_CHARS, type ProtocolName } from '../src/adapters.ts';
import { runSweep } from '../src/sweep/run-sweep.ts';

/**
 * Hostile replies (issue 23), from a fake target on 127.0.0.1: an endless reply and an oversized one
 * end each connection with SOCKETLAB_ERR_REPLY_TOO_LARGE under every adapter, and a server's error
 * text is stored escaped and capped. The fake server counts what it could write before the client closed.
 */
type Behaviour = 'endless' | 'oversized' | 'err';

async function fakeServer(behaviour: Behaviour): Promise<{ port: number; closed: () => number; close: () => void }> {
  let closed = 0;
  const sockets = new Set<net.Socket>();
  const chunk = Buffer.alloc(64 * 1024, 0x61); // 'a', no newline
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      closed++;
      sockets.delete(s);
    });
    let requests = 0;
    s.on('data', () => {
      if (behaviour === 'err') {
        // The task gets a hostile ERR (half a MiB, under the cap); EXIT its Goodbye.
        s.write(requests++ === 0 ? `ERR SOCKETLAB_ERR_INTERNAL \x1b[2J\x1b]0;pwned\x07${'x'.repeat(1 << 19)}\n` : 'OK Goodbye!\n');
        return;
      }
      if (requests++ > 0) return;
      if (behaviour === 'oversized') {
        s.write(Buffer.concat([Buffer.from('OK '), Buffer.alloc(2 * MAX_REPLY_BYTES, 0x61), Buffer.from('\n')]));
        return;
      }
      // Endless: write while the kernel takes it, forever, until the client closes.
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
      };
      s.on('drain', pump);
      pump();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    closed: () => closed,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// raw: ended by a terminator that never comes (a quiet gap would end a reply early, rightly, on a busy machine).
const run = (port: number, protocol: ProtocolName) =>
  runSweep({ target: `127.0.0.1:${port}`, protocol, ...(protocol === 'raw' ? { rawTerminator: '\n' } : {}), workloads: ['sleep'], clients: [3], runs: 1, tasksPerClient: 1, timeScale: 0.01, quietWaitMs: 0, noiseRetries: 0 });

describe('hostile replies', () => {
  for (const protocol of ['socketlab', 'line', 'raw'] as const) {
    for (const behaviour of ['endless', 'oversized'] as const) {
      it(`${protocol}: an ${behaviour} reply ends each connection with SOCKETLAB_ERR_REPLY_TOO_LARGE`, { timeout: 30_000 }, async () => {
        const fake = await fakeServer(behaviour);
        try {
          const results = await run(fake.port, protocol);
          const r = results.cells[0]!.runs[0]!;
          assert.equal(r.errors.protocol.SOCKETLAB_ERR_REPLY_TOO_LARGE, 3, JSON.stringify(r.errors));
          assert.equal(r.tasks.ok, 0);
          assert.match(r.errorSamples[0]!, /SOCKETLAB_ERR_REPLY_TOO_LARGE: a reply longer than 1048576 bytes/);
          assert.equal(fake.closed(), 3, 'loadgen closed every connection');
        } finally {
          fake.close();
        }
      });
    }
  }

  it('a server\'s ERR text is stored escaped and capped (no terminal escapes, no MiB strings in errorSamples)', { timeout: 30_000 }, async () => {
    const fake = await fakeServer('err');
    try {
      const results = await run(fake.port, 'socketlab');
      const samples = results.cells[0]!.runs[0]!.errorSamples;
      assert.ok(samples.length > 0);
      for (const s of samples) {
        assert.ok(s.length <= MAX_ERROR_TEXT_CHARS + 40, `${s.length} characters`);
        assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(s), JSON.stringify(s.slice(0, 80))); // eslint-disable-line no-control-regex
        assert.match(s, /ERR SOCKETLAB_ERR_INTERNAL \\x1b\[2J\\x1b\]0;pwned\\x07x+… \(\d+ bytes\)$/);
      }
    } finally {
      fake.close();
    }
  });
});
