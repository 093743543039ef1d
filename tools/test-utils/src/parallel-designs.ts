import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, parseInfo, type Client } from '@socketlab/protocol';
import type { StartedServer } from './conformance.ts';
import { waitFor, whoFinishesFirst } from './helpers.ts';

export interface ParallelDesign {
  design: 'mp' | 'mt';
  /** What INFO field tells executors apart: `pid` for processes, `thread` for threads. */
  unit: 'pid' | 'thread';
  start(options: Record<string, unknown>): Promise<StartedServer & { experimental_killWorker(index: number): number | null }>;
  /** Kills the executor behind an INFO reply, if the design allows it from outside (processes). */
  killExecutor?(info: ReturnType<typeof parseInfo>): void;
  /** CPU time (ms) consumed so far by the executors named in these INFO replies. */
  cpuMs(infos: ReturnType<typeof parseInfo>[]): number;
  /** Ids (pids or thread ids, as INFO reports them) of the server's executors alive now, spares included. */
  workerIds(server: StartedServer): number[];
}

/**
 * Two clients compute FIB at once; their executors' CPU time must exceed the wall time, which only
 * happens when they run on two cores at once. Best of 5 attempts: other load on a shared machine can
 * only lower the ratio (serial execution can never give CPU > wall), so retrying cannot pass falsely.
 */
/**
 * Two CPU tasks run at once, on two executors: proven by order, not by timings (a CPU-time-over-wall-time
 * check failed on a loaded machine, where the two executors simply did not get both cores). Client A
 * starts a long FIB; once it is running, client B sends a short one on its own executor. Run in
 * parallel, B is answered first; run one after the other (one thread), A would be. Each executor's CPU
 * time grows by its FIB, so the work ran where INFO said.
 */
async function assertParallelCpu(d: ParallelDesign, cs: Client[], infos: ReturnType<typeof parseInfo>[]): Promise<void> {
  assert.notEqual(infos[0]![d.unit], infos[1]![d.unit], 'each client has an executor of its own');
  const cpu0 = d.cpuMs(infos);
  const order: string[] = [];
  const long = cs[0]!.request('FIB 36').then(() => order.push('A'));
  await new Promise((r) => setTimeout(r, 80));
  const short = cs[1]!.request('FIB 20').then(() => order.push('B'));
  await Promise.all([long, short]);
  assert.deepEqual(order, ['B', 'A'], 'the short FIB, sent while the long one ran, was answered first');
  assert.ok(d.cpuMs(infos) > cpu0, 'the executors spent CPU on the FIBs');
}

async function clients(port: number, n: number): Promise<Client[]> {
  return Promise.all(Array.from({ length: n }, () => connect({ port })));
}

/**
 * Behaviour of the two designs that run tasks in parallel (server-mp, server-mt), proven by order and
 * overlap rather than by timings.
 */
export function runParallelDesignSuite(d: ParallelDesign): void {
  describe(`${d.design} per-connection`, () => {
    it('N clients\' SLEEPs overlap: a later, shorter SLEEP is answered first', async () => {
      const server = await d.start({ strategy: 'per-connection' });
      try {
        assert.equal(await whoFinishesFirst(server.address.port, 'SLEEP 800', 'SLEEP 20'), 'B');
      } finally {
        await server.close();
      }
    });

    it(`INFO shows N distinct ${d.unit === 'pid' ? 'processes' : 'threads'}, one per client`, async () => {
      const server = await d.start({ strategy: 'per-connection' });
      try {
        const cs = await clients(server.address.port, 5);
        const infos = await Promise.all(cs.map(async (c) => parseInfo(await c.request('INFO'))));
        assert.equal(new Set(infos.map((i) => `${i.pid}/${i.thread}`)).size, 5);
        assert.equal(new Set(infos.map((i) => i[d.unit])).size, 5);
        // A client's tasks always run on its own executor.
        const again = parseInfo(await cs[0]!.request('INFO'));
        assert.equal(again[d.unit], infos[0]![d.unit]);
        await Promise.all(cs.map((c) => c.exit()));
        assert.ok(await waitFor(() => server.stats().workers.alive === 0), 'each executor stops when its client leaves');
        assert.equal(server.stats().workers.started, 5);
      } finally {
        await server.close();
      }
    });

    if (d.killExecutor) {
      it('a client whose executor dies mid-task gets WORKER_CRASHED; other clients are unaffected', async () => {
        const server = await d.start({ strategy: 'per-connection' });
        try {
          const [victim, bystander] = await clients(server.address.port, 2);
          const info = parseInfo(await victim!.request('INFO'));
          const pending = victim!.request('WAIT 2000').then(() => 'answered', (e: { code?: string }) => e.code);
          await new Promise((r) => setTimeout(r, 50));
          d.killExecutor!(info);
          assert.equal(await pending, 'SOCKETLAB_ERR_WORKER_CRASHED');
          assert.equal(await bystander!.request('PING'), 'PONG');
          await bystander!.exit();
          assert.ok(await waitFor(() => server.stats().workers.crashed === 1));
        } finally {
          await server.close();
        }
      });
    }

    it('warm one-shot spares: started before any client; a spare serves one client then exits; the next client gets another; spares are refilled', async () => {
      const server = await d.start({ strategy: 'per-connection', minSpares: 2 });
      try {
        const port = server.address.port;
        const warm = d.workerIds(server);
        assert.equal(warm.length, 2, 'two spares are running before any client connects');
        assert.equal(server.stats().workers.started, 2);
        const a = await connect({ port });
        const first = parseInfo(await a.request('INFO'))[d.unit];
        assert.ok(warm.includes(first), `the first client is served by a spare started before it came (${first} in ${warm})`);
        // The spare it took is replaced in the background (at the next check): two idle ones again, beside the client's.
        assert.ok(await waitFor(() => d.workerIds(server).length === 3), `refilled: ${d.workerIds(server)}`);
        const refilled = d.workerIds(server).filter((id) => id !== first);
        await a.exit();
        assert.ok(await waitFor(() => !d.workerIds(server).includes(first)), 'the spare exits when its one client leaves');
        const b = await connect({ port });
        const second = parseInfo(await b.request('INFO'))[d.unit];
        assert.notEqual(second, first, 'the next client gets another executor');
        assert.ok(refilled.includes(second), 'a warm one, started while the first client was served');
        await b.exit();
        assert.ok(await waitFor(() => d.workerIds(server).length === 2 && server.stats().workers.alive === 2), 'back to two idle spares');
        assert.equal(server.stats().workers.crashed, 0);
      } finally {
        await server.close();
      }
      assert.equal(server.stats().workers.alive, 0, 'close() stops the idle spares');
    });

    it('runs two FIBs at once on two executors (a short one sent later is answered first)', async () => {
      const server = await d.start({ strategy: 'per-connection' });
      try {
        const cs = await clients(server.address.port, 2);
        const infos = await Promise.all(cs.map(async (c) => parseInfo(await c.request('INFO'))));
        await assertParallelCpu(d, cs, infos);
        await Promise.all(cs.map((c) => c.exit()));
      } finally {
        await server.close();
      }
    });
  });

  describe(`${d.design} pool`, () => {
    it('at most poolSize SLEEPs overlap; WAITs all overlap', async () => {
      const server = await d.start({ strategy: 'pool', poolSize: 2 });
      try {
        const port = server.address.port;
        // Two long SLEEPs occupy both executors; a third, short one must wait for one of them.
        const cs = await clients(port, 3);
        const order: string[] = [];
        const long = [cs[0]!.request('SLEEP 600').then(() => order.push('long')), cs[1]!.request('SLEEP 600').then(() => order.push('long'))];
        await new Promise((r) => setTimeout(r, 100));
        const short = cs[2]!.request('SLEEP 10').then(() => order.push('short'));
        await Promise.all([...long, short]);
        assert.notEqual(order[0], 'short', 'the third SLEEP waited for a pool executor');
        // WAITs occupy no executor: a later, shorter WAIT overtakes two long ones.
        order.length = 0;
        const waits = [cs[0]!.request('WAIT 600').then(() => order.push('long')), cs[1]!.request('WAIT 600').then(() => order.push('long'))];
        await new Promise((r) => setTimeout(r, 100));
        await Promise.all([...waits, cs[2]!.request('WAIT 10').then(() => order.push('short'))]);
        assert.equal(order[0], 'short');
        await Promise.all(cs.map((c) => c.exit()));
      } finally {
        await server.close();
      }
    });

    it('with poolSize 3, three clients\' SLEEPs each get an idle executor: none waits behind another', async () => {
      // The pool picks the least loaded executor, ties round-robin, when the work arrives: with three idle
      // executors, three SLEEPs run side by side. If any two shared one, the second would end a whole
      // SLEEP later than the first, after the reference timer below.
      const server = await d.start({ strategy: 'pool', poolSize: 3 });
      try {
        const cs = await clients(server.address.port, 3);
        const order: string[] = [];
        const sleeps = cs.map((c) => c.request('SLEEP 600').then(() => order.push('sleep')));
        const reference = new Promise((r) => setTimeout(r, 1050)).then(() => order.push('reference'));
        await Promise.all([...sleeps, reference]);
        assert.deepEqual(order, ['sleep', 'sleep', 'sleep', 'reference']);
        await Promise.all(cs.map((c) => c.exit()));
      } finally {
        await server.close();
      }
    });

    it('two clients\' SLEEPs, each pipelined with PING or INFO, run on two executors: none waits behind the other', async () => {
      // A reviewer saw SLEEP+PING pairs put both SLEEPs on one thread: PING counted as much load as a
      // SLEEP, and the round-robin tie-break sent the second SLEEP after the first. Each pair is sent in
      // one write; if both SLEEPs shared an executor, the second would end a whole SLEEP after the
      // first, after the reference timer.
      const server = await d.start({ strategy: 'pool', poolSize: 2 });
      try {
        for (const pair of [['SLEEP 600', 'PING'], ['INFO', 'SLEEP 600'], ['SLEEP 600', 'INFO']]) {
          const cs = await clients(server.address.port, 2);
          const order: string[] = [];
          const sleeps = cs.map((c) => Promise.all(pair.map((r) => c.request(r))).then(() => order.push('pair')));
          const reference = new Promise((r) => setTimeout(r, 1050)).then(() => order.push('reference'));
          await Promise.all([...sleeps, reference]);
          assert.deepEqual(order, ['pair', 'pair', 'reference'], `${pair.join(' + ')}: both SLEEPs ran at once`);
          await Promise.all(cs.map((c) => c.exit()));
        }
      } finally {
        await server.close();
      }
    });

    it(`INFO shows at most poolSize ${d.unit === 'pid' ? 'processes' : 'threads'} across many clients`, async () => {
      const server = await d.start({ strategy: 'pool', poolSize: 2 });
      try {
        const cs = await clients(server.address.port, 6);
        const infos = await Promise.all(cs.map(async (c) => parseInfo(await c.request('INFO'))));
        assert.equal(new Set(infos.map((i) => i[d.unit])).size, 2);
        await Promise.all(cs.map((c) => c.exit()));
        assert.equal(server.stats().workers.alive, 2, 'pool executors outlive their clients');
      } finally {
        await server.close();
      }
    });

    it('a killed pool worker is replaced, its client gets WORKER_CRASHED, and the next requests succeed', async () => {
      const server = await d.start({ strategy: 'pool', poolSize: 1 });
      try {
        const port = server.address.port;
        const victim = await connect({ port });
        const before = parseInfo(await victim.request('INFO'));
        // SLEEP, not WAIT: a task that occupies its executor is the one a pool must send to it.
        const pending = victim.request('SLEEP 2000').then(() => 'answered', (e: { code?: string }) => e.code);
        await new Promise((r) => setTimeout(r, 50));
        assert.notEqual(server.experimental_killWorker(0), null);
        // Every design answers for a dead executor (an mp pool parent keeps an unread copy of each socket).
        assert.equal(await pending, 'SOCKETLAB_ERR_WORKER_CRASHED');
        assert.ok(await waitFor(() => server.stats().workers.alive === 1 && server.stats().workers.crashed === 1));
        const next = await connect({ port });
        assert.equal(await next.request('FIB 20'), '6765');
        const after = parseInfo(await next.request('INFO'));
        assert.notEqual(after[d.unit], before[d.unit], 'a new executor serves');
        await next.exit();
        victim.socket.destroy();
      } finally {
        await server.close();
      }
    });

    it('runs two FIBs at once with a pool of 2 (a short one sent later is answered first)', async () => {
      const server = await d.start({ strategy: 'pool', poolSize: 2 });
      try {
        const cs = await clients(server.address.port, 2);
        const infos = await Promise.all(cs.map(async (c) => parseInfo(await c.request('INFO'))));
        assert.equal(new Set(infos.map((i) => i[d.unit])).size, 2);
        await assertParallelCpu(d, cs, infos);
        await Promise.all(cs.map((c) => c.exit()));
      } finally {
        await server.close();
      }
    });
  });
}
