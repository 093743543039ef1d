import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect, parseInfo } from '@socketlab/protocol';
import type { ParallelDesign } from './parallel-designs.ts';
import { waitFor } from './helpers.ts';

/** A per-connection variant to run the recycled cases on: its name, and the options that select it (server-mt's `socketIo`). */
export interface RecycledVariant {
  name: string;
  options: Record<string, unknown>;
  /** Whether a client's tasks run on its worker while the main thread keeps the socket (server-mt `socketIo: 'main'`). */
  mainIo: boolean;
}

/**
 * Opens a raw connection, runs `script` (text is written, a number waits that many ms, `{ lines }` waits
 * until that many reply lines have come), then closes
 * (`end`: half-closes and reads to the end; `reset`: hangs up at once, with a TCP RST); resolves with every reply line.
 */
async function transcript(port: number, script: (string | number | { lines: number })[], close: 'end' | 'reset' = 'end'): Promise<string[]> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const parts: Buffer[] = [];
  socket.on('data', (d) => parts.push(d));
  socket.on('error', () => {});
  const closed = new Promise((r) => socket.on('close', r));
  await new Promise((r) => socket.once('connect', r));
  const lines = () => Buffer.concat(parts).toString().split('\n').filter((l) => l !== '');
  for (const step of script) {
    if (typeof step === 'number') await new Promise((r) => setTimeout(r, step));
    else if (typeof step === 'string') socket.write(step);
    else await waitFor(() => lines().length >= step.lines, 20_000);
  }
  if (close === 'end') socket.end();
  else socket.resetAndDestroy();
  await closed;
  return lines();
}

/** Which worker serves a new client: its INFO reply's pid or thread. */
async function workerOf(d: ParallelDesign, port: number): Promise<{ id: number; exit: () => Promise<void> }> {
  const c = await connect({ port });
  const id = parseInfo(await c.request('INFO'))[d.unit];
  return { id, exit: async () => void (await c.exit()) };
}

/**
 * Recycled workers (Apache's spare-server model: `maxConnectionsPerWorker` above 1): a worker serves one
 * connection at a time, for its whole life, then the next; nothing of one client reaches the next; a
 * worker is retired after its last connection or beyond `maxSpares`; spares start at a growing rate,
 * never beyond `maxWorkers`. Proven by which worker INFO names and by what each client receives.
 */
export function runRecycledSuite(d: ParallelDesign, variants: RecycledVariant[]): void {
  for (const v of variants) {
    describe(`${v.name} recycled workers`, () => {
      const start = (options: Record<string, unknown>) => d.start({ strategy: 'per-connection', ...v.options, ...options });
      const idle = (server: Awaited<ReturnType<typeof start>>, n: number) => waitFor(() => server.stats().connections.active === 0 && d.workerIds(server).length === n);

      it('the next client is served by the same worker on a fresh connection: nothing of the last client reaches it', async () => {
        const server = await start({ maxSpares: 1, maxConnectionsPerWorker: 0 });
        try {
          const port = server.address.port;
          // A leaves a request unfinished (bytes without a newline) and one in flight, and hangs up (a
          // reset: a FIN would have the server answer the WAIT first).
          const a = await transcript(port, ['INFO\n', { lines: 1 }, 'WAIT 300\nECHO lea', 50], 'reset');
          assert.equal(a.length, 1, `A got its INFO reply only: ${a}`);
          const first = parseInfo(a[0]!.replace(/^OK /, ''))[d.unit];
          assert.ok(await idle(server, 1), `A's worker is idle again: ${d.workerIds(server)}`);
          // B stays past the end of A's WAIT: any reply of A's would reach it.
          const b = await transcript(port, ['INFO\nECHO b\n', 600, 'EXIT\n']);
          assert.equal(b.length, 3, `B got exactly its own three replies: ${JSON.stringify(b)}`);
          const second = parseInfo(b[0]!.replace(/^OK /, ''))[d.unit];
          assert.deepEqual(b.slice(1), ['OK b', 'OK Goodbye!'], 'no byte of A\'s unfinished request, no reply to A\'s WAIT');
          if (v.mainIo) {
            // Its thread still ran A's WAIT when A left: it is not given to another client but retired.
            assert.notEqual(second, first, 'a worker still running a task of a client that left is retired');
          } else {
            assert.equal(second, first, 'B is served by the worker that served A');
          }
          assert.ok(await idle(server, 1));
          assert.equal(server.stats().workers.crashed, 0);
          assert.equal(server.stats().workers.started, v.mainIo ? 2 : 1);
        } finally {
          await server.close();
        }
        assert.equal(server.stats().workers.alive, 0, 'close() stops the idle worker');
      });

      it('a worker is retired after maxConnectionsPerWorker connections, and beyond maxSpares idle; neither is a crash', async () => {
        const server = await start({ maxSpares: 1, maxConnectionsPerWorker: 2 });
        try {
          const port = server.address.port;
          const ids: number[] = [];
          // No minSpares: after its second client the worker goes and none replaces it.
          for (const [i, left] of [1, 0, 1].entries()) {
            const w = await workerOf(d, port);
            ids.push(w.id);
            await w.exit();
            assert.ok(await idle(server, left), `after client ${i}, ${left} idle: ${d.workerIds(server)}`);
          }
          assert.equal(ids[1], ids[0], 'its second connection');
          assert.notEqual(ids[2], ids[0], 'retired after two');
          assert.ok(!d.workerIds(server).includes(ids[0]!), 'the retired worker is gone');
          // Two clients at once: the idle spare and a worker started for the other; then one stays idle.
          const both = await Promise.all([workerOf(d, port), workerOf(d, port)]);
          assert.notEqual(both[0]!.id, both[1]!.id, 'one client per worker at a time');
          assert.ok(both.some((w) => w.id === ids[2]), 'the idle one serves one of them');
          await Promise.all(both.map((w) => w.exit()));
          assert.ok(await idle(server, 1), `maxSpares 1: the other is retired: ${d.workerIds(server)}`);
          assert.deepEqual(server.stats().workers, { alive: 1, started: 3, crashed: 0 });
        } finally {
          await server.close();
        }
      });

      it('spares start 1, 2, 4 … at a time while the shortage lasts, never beyond maxWorkers; after the clients, minSpares to maxSpares stay', async () => {
        const server = await start({ minSpares: 4, maxSpares: 4, maxConnectionsPerWorker: 0, maxWorkers: 7 });
        const seen: number[] = [];
        const sample = setInterval(() => {
          const n = server.stats().workers.alive;
          if (seen.at(-1) !== n) seen.push(n);
        }, 20);
        try {
          const port = server.address.port;
          assert.equal(d.workerIds(server).length, 4, 'four spares before any client');
          const cs = await Promise.all(Array.from({ length: 4 }, () => workerOf(d, port)));
          assert.equal(new Set(cs.map((c) => c.id)).size, 4);
          assert.equal(server.stats().workers.started, 4, 'each client took a spare');
          // Short by four: one check starts one, the next two (at once), the next none (the cap).
          assert.ok(await waitFor(() => server.stats().workers.alive === 7, 10_000), `seen ${seen}`);
          await new Promise((r) => setTimeout(r, 1500));
          assert.deepEqual(seen, [4, 5, 7], 'one, then two at once, then nothing beyond maxWorkers');
          await Promise.all(cs.map((c) => c.exit()));
          assert.ok(await idle(server, 4), `back to maxSpares idle: ${d.workerIds(server)}`);
          assert.equal(server.stats().workers.crashed, 0);
        } finally {
          clearInterval(sample);
          await server.close();
        }
      });

      if (d.killExecutor) {
        it('an idle recycled worker that dies is counted as a crash and replaced; a client whose worker dies mid-task gets WORKER_CRASHED', async () => {
          const server = await start({ minSpares: 1, maxSpares: 1, maxConnectionsPerWorker: 0 });
          try {
            const port = server.address.port;
            const w = await workerOf(d, port);
            await w.exit();
            assert.ok(await idle(server, 1));
            d.killExecutor!({ design: d.design, strategy: 'per-connection', pid: w.id, thread: 0, io: null });
            assert.ok(await waitFor(() => server.stats().workers.crashed === 1 && d.workerIds(server).length === 1 && !d.workerIds(server).includes(w.id)), 'replaced');
            const victim = await connect({ port });
            const info = parseInfo(await victim.request('INFO'));
            const pending = victim.request('WAIT 2000').then(() => 'answered', (e: { code?: string }) => e.code);
            await new Promise((r) => setTimeout(r, 50));
            d.killExecutor!(info);
            assert.equal(await pending, 'SOCKETLAB_ERR_WORKER_CRASHED');
            assert.ok(await waitFor(() => server.stats().workers.crashed === 2));
            const next = await workerOf(d, port);
            assert.notEqual(next.id, info[d.unit]);
            await next.exit();
          } finally {
            await server.close();
          }
        });
      }
    });
  }
}
