import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '@socketlab/protocol';
import { listenAddress } from '../src/shard/bind.ts';
import { RendezvousClient, type Hello } from '../src/shard/rendezvous.ts';
import { RendezvousServer } from '../src/shard/rendezvous-server.ts';
import { ShardSession } from '../src/shard/session.ts';
import { MAX_LINE_BYTES } from '../src/shard/wire.ts';
import { rawPeer, sayHello, type RawPeer } from './rendezvous-peer.ts';

/**
 * Rogue rendezvous peers (issue 23), on 127.0.0.1: none can abort, join or feed values; each is dropped
 * and logged, and the real shards' sweep completes.
 */
const SECRET = 'the-sweep-secret';
const hello = (index: number, count: number): Hello => ({ index, count, host: 'localhost', node: null, config: {} });

describe('rogue rendezvous peers', () => {
  it('no secret, a wrong secret, malformed JSON, an endless line, a wrong count, ready before hello: each dropped, the sweep completes', { timeout: 30_000 }, async () => {
    const logged: string[] = [];
    const server = await RendezvousServer.listen('127.0.0.1', 0, 2, () => null, { timeoutMs: 5000, secret: SECRET, log: (l) => logged.push(l) });
    const port = server.port;
    const options = { secret: SECRET, timeoutMs: 5000 };
    const rogues: RawPeer[] = [];
    const rogue = async (act: (p: RawPeer) => Promise<void> | void) => {
      const p = await rawPeer(port);
      rogues.push(p);
      await act(p);
      return p;
    };
    // Before the real shards: each would have taken a seat, or ended the sweep, before.
    const noSecret = await rogue((p) => sayHello(p, hello(1, 2)));
    const wrongSecret = await rogue((p) => sayHello(p, hello(1, 2), 'guessed'));
    const malformed = await rogue((p) => void p.socket.write('{"t":"hello",\n'));
    const readyFirst = await rogue((p) => void p.socket.write(JSON.stringify({ t: 'ready', seq: 0, label: 'x', values: [1e9] }) + '\n'));
    const endless = await rogue((p) => void p.socket.write(Buffer.alloc(MAX_LINE_BYTES + 4096, 0x41)));
    // With the secret but the wrong count: refused (told why), but it ends nothing.
    const wrongCount = await rogue((p) => sayHello(p, { ...hello(1, 3) }, SECRET));
    for (const p of [noSecret, wrongSecret, malformed, readyFirst, endless, wrongCount]) await p.closed;

    const [a, b] = await Promise.all([RendezvousClient.join('127.0.0.1', port, hello(0, 2), options), RendezvousClient.join('127.0.0.1', port, hello(1, 2), options)]);
    // A rogue arriving mid-sweep cannot give values or abort either.
    const late = await rogue((p) => void p.socket.write(JSON.stringify({ t: 'bye' }) + '\n'));
    const gathered = await Promise.all([a!.barrier('probe', [1, 2]), b!.barrier('probe', [3, 4])]);
    for (const s of gathered) assert.deepEqual(s.values, [[1, 2], [3, 4]], 'only the real shards\' values');
    await Promise.all([a!.barrier('run 1'), b!.barrier('run 1')]);
    await late.closed;
    a!.close();
    b!.close();
    await server.close();
    assert.equal(server.failure, null, 'no rogue ended the sweep');
    assert.equal(server.dropped, 7);

    // What each rogue got: a challenge, and at most a refusal; never a welcome, a ping or a start.
    for (const p of rogues) assert.deepEqual(p.received.filter((m) => !['challenge', 'abort', 'accepted'].includes(m.t as string)), []);
    assert.equal(noSecret.received.find((m) => m.t === 'abort')?.message, 'not authenticated: every shard needs the same SOCKETLAB_RENDEZVOUS_SECRET');
    assert.equal(noSecret.received.some((m) => m.t === 'accepted'), false, 'no proof for a peer without the secret');
    assert.match(String(wrongCount.received.find((m) => m.t === 'abort')?.message), /^shard 1 says there are 3 shards; shard 0 says 2/);
    assert.equal(logged.length, 7, logged.join('\n'));
    assert.ok(logged.some((l) => l.includes(`more than ${MAX_LINE_BYTES} bytes without a newline`)));
    assert.ok(logged.some((l) => l.includes('a line that is not JSON')));
  });

  it('a shard whose rendezvous does not prove the secret refuses it; a secret differing between shards is refused', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 2, () => null, { timeoutMs: 2000, secret: SECRET, log: () => {} });
    await assert.rejects(RendezvousClient.join('127.0.0.1', server.port, hello(1, 2), { secret: 'other', timeoutMs: 2000 }), (e: Error & { code?: string }) => e.code === 'SOCKETLAB_ERR_SHARD_RENDEZVOUS' && /not authenticated/.test(e.message));
    await server.close();
    // An impostor shard 0: it answers the hello, but cannot prove the secret.
    const impostor = await RendezvousServer.listen('127.0.0.1', 0, 2, () => null, { timeoutMs: 2000, secret: 'not-ours', log: () => {} });
    await assert.rejects(RendezvousClient.join('127.0.0.1', impostor.port, hello(1, 2), { secret: SECRET, timeoutMs: 2000 }), /not authenticated|did not prove the shared secret/);
    await impostor.close();
  });

  it('binds only the address it must: a rendezvous beyond this machine needs the secret and an address of this machine', async () => {
    assert.equal(await listenAddress('localhost'), '127.0.0.1');
    await assert.rejects(listenAddress('192.0.2.7'), /not an address of this machine/);
    const config = { target: { host: '127.0.0.1', port: 1 }, clients: [2], noiseRetries: 0, model: 'closed' } as never;
    const identity = { index: 1, count: 2, source: 'flag', host: 'h', node: null } as never;
    const saved = process.env.SOCKETLAB_RENDEZVOUS_SECRET;
    delete process.env.SOCKETLAB_RENDEZVOUS_SECRET;
    try {
      await assert.rejects(ShardSession.open(identity, config, { host: 'node-7.cluster', port: 7070 }), (e: unknown) => e instanceof InvalidOptionError && /needs a shared secret in SOCKETLAB_RENDEZVOUS_SECRET/.test(e.message));
    } finally {
      if (saved !== undefined) process.env.SOCKETLAB_RENDEZVOUS_SECRET = saved;
    }
  });
});
