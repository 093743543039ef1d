import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { now } from '../src/client-core.ts';
import { RendezvousClient, type Hello } from '../src/shard/rendezvous.ts';
import { RendezvousServer } from '../src/shard/rendezvous-server.ts';
import { rawPeer, sayHello } from './rendezvous-peer.ts';

const hello = (index: number, count: number, config: unknown = { same: true }): Hello => ({ index, count, host: 'localhost', node: `n${index + 1}`, config });
const sameConfig = (h: Hello) => ((h.config as { same?: boolean }).same ? null : 'config.timeScale: 0.01 (shard 0) vs 0.02 (shard 1)');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const codeOf = (code: string, message: RegExp) => (err: Error & { code?: string }) => {
  assert.equal(err.code, code, err.message);
  assert.match(err.message, message);
  return true;
};

describe('rendezvous (real sockets on 127.0.0.1)', () => {
  it('hands every shard one start per run, on its own clock, a margin ahead; each barrier in turn', { timeout: 20_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 3, sameConfig, { timeoutMs: 5000 });
    // Shards join in any order; each waits until all three have.
    const clients = await Promise.all([2, 0, 1].map((i) => RendezvousClient.join('127.0.0.1', server.port, hello(i, 3))));
    assert.equal(new Set(clients.map((c) => c.sweepId)).size, 1);
    assert.equal(clients[0]!.sweepId, server.sweepId);
    for (let run = 0; run < 3; run++) {
      const label = `external/wait/N=9/run ${run + 1}`;
      const before = now();
      const starts = await Promise.all(clients.map((c) => c.barrier(label)));
      const received = now();
      assert.deepEqual(starts.map((s) => s.seq), [run, run, run]);
      assert.equal(new Set(starts.map((s) => s.agreedAt)).size, 1, 'one agreed start for all');
      for (const s of starts) {
        assert.equal(s.localAt, s.agreedAt + s.offsetMs);
        // One machine, one clock: the offset is within half the round trip of 0.
        assert.ok(Math.abs(s.offsetMs) <= s.rttMs / 2 + 0.001, `offset ${s.offsetMs} rtt ${s.rttMs}`);
        assert.ok(s.agreedAt > before && s.agreedAt > received, 'the start lies ahead of the moment it arrives');
      }
    }
    for (const c of clients) c.close();
    await server.close();
    assert.equal(server.failure, null);
  });

  it('fails every waiting shard with SOCKETLAB_ERR_SHARD_TIMEOUT when one never connects', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 3, sameConfig, { timeoutMs: 300 });
    const joins = [0, 1].map((i) => RendezvousClient.join('127.0.0.1', server.port, hello(i, 3)));
    for (const j of joins) await assert.rejects(j, codeOf('SOCKETLAB_ERR_SHARD_TIMEOUT', /^shard 2 of 3 did not connect to the rendezvous within 300 ms \(--rendezvous-timeout-ms\)$/));
    await server.close();
  });

  it('fails the run when a shard is not ready within the timeout of the first, naming it', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 2, sameConfig, { timeoutMs: 300 });
    const [a, b] = await Promise.all([0, 1].map((i) => RendezvousClient.join('127.0.0.1', server.port, hello(i, 2))));
    await a!.barrier('x/run 1').then(() => {}).catch(() => {}); // never completes alone: b is not ready
    await assert.rejects(a!.barrier('x/run 2'), codeOf('SOCKETLAB_ERR_SHARD_TIMEOUT', /^run 1 \(x\/run 1\): shard 1 of 2 not ready within 300 ms of the first/));
    await until(() => b!.failure !== null);
    assert.match(b!.failure!.message, /shard 1 of 2 not ready/, 'the late shard learns it failed too');
    await server.close();
  });

  it('fails the others with SOCKETLAB_ERR_SHARD_RENDEZVOUS when a shard leaves mid-sweep', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 2, sameConfig, { timeoutMs: 5000 });
    const port = server.port;
    const a = await Promise.all([RendezvousClient.join('127.0.0.1', port, hello(0, 2)), rawShard(port, hello(1, 2))]);
    const waiting = a[0].barrier('x/run 1');
    a[1].destroy(); // shard 1 dies without a word
    await assert.rejects(waiting, codeOf('SOCKETLAB_ERR_SHARD_RENDEZVOUS', /^shard 1 \(n2\) left the rendezvous before the end of the sweep$/));
    await server.close();
  });

  it('fails the others when a shard ends its sweep early (bye while they wait at a barrier)', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 2, sameConfig, { timeoutMs: 5000 });
    const [a, b] = await Promise.all([0, 1].map((i) => RendezvousClient.join('127.0.0.1', server.port, hello(i, 2))));
    const waiting = a!.barrier('x/run 1');
    await new Promise((r) => setTimeout(r, 50));
    b!.close();
    await assert.rejects(waiting, codeOf('SOCKETLAB_ERR_SHARD_RENDEZVOUS', /^run 1 \(x\/run 1\): shard 1 ended its sweep before it/));
    await server.close();
  });

  it('refuses a shard whose configuration differs, a wrong count and a repeated index, naming what differs; the others wait on', { timeout: 10_000 }, async () => {
    const cases: [Hello[], RegExp][] = [
      // The refused shard learns which field differs, not shard 0's value (shard 0's log has both).
      [[hello(0, 2), hello(1, 2, { same: false })], /^shard 1 runs another sweep than shard 0: config\.timeScale differs$/],
      [[hello(0, 2), hello(1, 3)], /^shard 1 says there are 3 shards; shard 0 says 2/],
      [[hello(0, 2), hello(0, 2)], /^shard index 0 is taken/],
    ];
    for (const [hellos, message] of cases) {
      const logged: string[] = [];
      const server = await RendezvousServer.listen('127.0.0.1', 0, 2, sameConfig, { timeoutMs: 600, log: (l) => logged.push(l) });
      const first = RendezvousClient.join('127.0.0.1', server.port, hellos[0]!);
      await new Promise((r) => setTimeout(r, 30)); // the first hello is the reference
      await assert.rejects(RendezvousClient.join('127.0.0.1', server.port, hellos[1]!), codeOf('SOCKETLAB_ERR_SHARD_RENDEZVOUS', message));
      // The sweep is not aborted by it: it times out waiting for a right shard 1, saying what was refused.
      await assert.rejects(first, codeOf('SOCKETLAB_ERR_SHARD_TIMEOUT', /did not connect to the rendezvous within 600 ms .*; refused meanwhile: shard/));
      assert.ok(logged.some((l) => l.startsWith('rendezvous: dropped 127.0.0.1:')), logged.join('\n'));
      await server.close();
    }
  });

  it('tells each shard the pids of the other shards on its machine; an unknown or missing machine shares none', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 6, sameConfig, { timeoutMs: 5000 });
    const places: Partial<Hello>[] = [
      { pid: 101, machine: 'boot-a/pid:[1]' },
      { pid: 102, machine: 'boot-b/pid:[1]' }, // another machine
      { pid: 103, machine: 'boot-a/pid:[1]' },
      { pid: 104, machine: 'unknown' },
      { pid: 105, machine: 'unknown' }, // two unknown keys are no evidence of one machine
      {}, // an older loadgen says neither
    ];
    const clients = await Promise.all(places.map((p, i) => RendezvousClient.join('127.0.0.1', server.port, { ...hello(i, 6), ...p })));
    assert.deepEqual(clients.map((c) => c.cohosted), [[103], [], [101], [], [], []]);
    for (const c of clients) c.close();
    await server.close();
    assert.equal(server.failure, null);
  });

  it('a barrier gathers numbers: every shard gets every shard\'s values by index; values that are not numbers fail the run', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 3, sameConfig, { timeoutMs: 5000 });
    const clients = await Promise.all([0, 1, 2].map((i) => RendezvousClient.join('127.0.0.1', server.port, hello(i, 3))));
    const starts = await Promise.all(clients.map((c, i) => c.barrier('probe result', [10 * (i + 1), 300 + i])));
    for (const s of starts) assert.deepEqual(s.values, [[10, 300], [20, 301], [30, 302]]);
    const plain = await Promise.all(clients.map((c) => c.barrier('a run')));
    for (const s of plain) assert.equal(s.values, null, 'no values given, none handed out');
    const bad = clients.map((c, i) => c.barrier('probe result 2', i === 1 ? ([1, Number.NaN] as number[]) : [1]));
    // NaN goes out as null in JSON: the schema refuses it, and a joined shard that breaks it ends the sweep.
    for (const b of bad) await assert.rejects(b, codeOf('SOCKETLAB_ERR_SHARD_RENDEZVOUS', /^shard 1 sent a malformed message: ready\.values is not absent or a list of at most 16 of a finite number$/));
    for (const c of clients) c.close();
    await server.close();
  });

  it('refuses a hello whose pid or machine key is malformed, naming the field', { timeout: 10_000 }, async () => {
    const server = await RendezvousServer.listen('127.0.0.1', 0, 2, sameConfig, { timeoutMs: 2000, log: () => {} });
    for (const [bad, message] of [[{ pid: -3 }, /^hello\.pid is not absent or an integer from 1 to 2147483648$/], [{ pid: 1, machine: '' }, /^hello\.machine is not absent or a machine key$/]] as const) {
      await assert.rejects(RendezvousClient.join('127.0.0.1', server.port, { ...hello(1, 2), ...bad }), codeOf('SOCKETLAB_ERR_SHARD_RENDEZVOUS', message));
    }
    await server.close();
  });

  it('gives up with SOCKETLAB_ERR_SHARD_TIMEOUT when nothing listens at the rendezvous', { timeout: 10_000 }, async () => {
    const port = await freePort();
    await assert.rejects(RendezvousClient.join('127.0.0.1', port, hello(1, 2), { timeoutMs: 400, connectRetryMs: 50 }), codeOf('SOCKETLAB_ERR_SHARD_TIMEOUT', new RegExp(`^shard 1 could not reach the rendezvous at 127\\.0\\.0\\.1:${port} within 400 ms .*ECONNREFUSED`)));
  });
});

/** Resolves once `cond` holds (polled); the test's own timeout bounds it. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/** A shard that says hello and then stays silent: its socket, to kill. */
async function rawShard(port: number, h: Hello): Promise<net.Socket> {
  const peer = await rawPeer(port);
  await sayHello(peer, { ...h });
  await peer.next('welcome');
  return peer.socket;
}
