import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, ReplyDecoder, connect, encodeRequest, parseInfo, type Client, type DecodedReply } from '@socketlab/protocol';
import { SPARE_CHECK_INTERVAL_MS } from '@socketlab/protocol/server';
import type { StartedServer } from './conformance.ts';
import { spawnServerCli } from './cli.ts';
import { pidAlive, rawExchange, waitFor } from './helpers.ts';
import { describeCounts, heldPeers, nodeDescendants, procCounts, threadCount, treeRss, waitForBaseline } from './robustness-proc.ts';
import { RawPeer, outcomeOf, prng, seedFromEnv, tally } from './robustness-peer.ts';
import { runFuzz } from './robustness-fuzz.ts';
import { shutdownAtLoadCase } from './robustness-shutdown.ts';
import { BASE, CASE, LIMITS, SOON_MS, STREAM_ERRORS, UNREAD, assertServes, capacityOf, capped, codeOf, frameHeader, settledTree, tick, withServer, type RobustnessVariant } from './robustness-harness.ts';

/**
 * The robustness suite every server variant must pass: no client, however hostile, can wedge the
 * server or make it hold resources for good. Each case asserts outcomes (replies, error codes, fd,
 * process and thread counts back to their idle baseline, bounded memory), never tight timings.
 * Figures worth reporting (counts after the wedge and burst cases, RSS growth, shutdown outcomes)
 * are written as test diagnostics.
 */



export function runRobustnessSuite<S extends StartedServer>(v: RobustnessVariant<S>): void {
  describe(`robustness: ${v.name}`, () => {
    // 1. ------------------------------------------------------------------------------------------
    it('a stream error followed by unread bytes, then the client closes: one ERR, the connection goes, nothing is left', CASE, async (t) => {
      await withServer(v, BASE, async (ctx) => {
        for (const e of STREAM_ERRORS) {
          const peer = await ctx.peer();
          await peer.send(e.head);
          const sent = await peer.sendFill(UNREAD);
          peer.end();
          assert.ok(await peer.closedWithin(SOON_MS), `${e.code}: the connection closed`);
          assert.equal(sent, UNREAD, `${e.code}: the server kept reading (and dropping) after its ERR`);
          assert.equal(peer.error, null, `${e.code}: closed cleanly, not reset`);
          const replies = peer.replies();
          assert.deepEqual(replies.map(codeOf), [e.code], `${e.code} (${e.what}): exactly one ERR`);
          assert.equal(peer.serverEnded, true, `${e.code}: the server sent its FIN`);
        }
        await assertServes(ctx.port);
        const after = await ctx.assertBaseline('after the stream errors');
        t.diagnostic(`${v.name} after 4 stream errors with unread bytes: ${describeCounts(after)} (baseline ${describeCounts(ctx.base)})`);
      });
    });

    it('an ended connection does not hold up the next client: served while the ended one still lingers', CASE, async () => {
      // A long linger: the next client must be served while the ended connection is still held (for
      // the iterative server: it moves on as soon as the current client is ended).
      await withServer(v, { ...BASE, lingerMs: 30_000 }, async (ctx) => {
        const hostile = await ctx.peer({ allowHalfOpen: true });
        await hostile.send('PING\n');
        assert.ok(await hostile.until(() => hostile.received > 0, SOON_MS), 'the hostile client is being served');
        const next = await ctx.client();
        const pong = next.request('PING');
        await hostile.sendFill(UNREAD); // LINE_TOO_LONG, and 200 KiB unread behind it; never closes
        assert.equal(await pong, 'PONG', 'the next client is served');
        assert.ok(await hostile.until(() => hostile.serverEnded, SOON_MS), 'the hostile client got the server\'s FIN');
        assert.deepEqual(hostile.replies().map(codeOf), ['OK', 'LINE_TOO_LONG']);
        assert.ok(heldPeers(ctx.port).has(hostile.socket.localPort!), 'served while the ended connection still lingers');
        await next.exit();
        // The peer's FIN is seen even after the error (the server kept reading): the connection goes at once.
        hostile.end();
        assert.ok(await hostile.closedWithin(SOON_MS), 'the ended connection closes when its client does');
        await ctx.assertBaseline('after the ended connection closed');
      });
    });

    // 2. ------------------------------------------------------------------------------------------
    it('EXIT (or a stream error), then the client never closes: reply, FIN, and the server cuts it after lingerMs', CASE, async (t) => {
      await withServer(v, { ...BASE, lingerMs: 500 }, async (ctx) => {
        const exit = await ctx.peer({ allowHalfOpen: true });
        await exit.send('PING\nEXIT\nPING\n');
        const exitUnread = exit.sendFill(UNREAD); // more after EXIT: read and dropped
        const junk = await ctx.peer({ allowHalfOpen: true });
        const junkUnread = junk.sendFill(UNREAD);
        assert.ok(await exit.until(() => exit.serverEnded, SOON_MS), 'EXIT: the server sent its FIN');
        assert.equal(exit.data.toString(), 'OK PONG\nOK Goodbye!\n', 'requests after EXIT are not run');
        assert.ok(await junk.until(() => junk.serverEnded, SOON_MS), 'stream error: the server sent its FIN');
        assert.deepEqual(junk.replies().map(codeOf), ['LINE_TOO_LONG']);
        assert.equal(await exitUnread, UNREAD, 'the bytes after EXIT were read (and dropped)');
        assert.equal(await junkUnread, UNREAD, 'the bytes after the error were read (and dropped)');
        // Neither client ever closes: the server cuts both after the linger.
        const gone = await waitFor(() => procCounts(ctx.port).sockets === 0 && ctx.server.stats().connections.active === 0, SOON_MS);
        const now = procCounts(ctx.port);
        t.diagnostic(`${v.name} ended connections whose clients never close, after the linger: ${describeCounts(now)}; active ${ctx.server.stats().connections.active}`);
        assert.ok(gone, `the server cut the lingering connections: ${describeCounts(now)}`);
        assert.equal(exit.isClosed || junk.isClosed, false, 'the clients themselves never closed');
        await assertServes(ctx.port);
        await ctx.assertBaseline('after the lingering connections were cut');
      });
    });

    // 3. ------------------------------------------------------------------------------------------
    it('slowloris: a byte every 100 ms that never completes a request gets IDLE_TIMEOUT and is closed', CASE, async () => {
      await withServer(v, { ...BASE, idleTimeoutMs: 500 }, async (ctx) => {
        const text = await ctx.peer();
        const binary = await ctx.peer();
        const body = Buffer.concat([frameHeader(1000), Buffer.from('ECHO '), Buffer.alloc(995, 0x42)]);
        // Each trickles for 8 s at most: well past the 500 ms idle timeout (the iterative server takes them in turn).
        const [nText, nBinary] = await Promise.all([text.trickle(Buffer.from('ECHO never ending '), 100, 8000), binary.trickle(body, 100, 8000)]);
        for (const [name, peer, n] of [['text', text, nText], ['binary', binary, nBinary]] as const) {
          assert.ok(await peer.closedWithin(SOON_MS), `${name}: closed`);
          assert.deepEqual(peer.replies().map(codeOf), ['IDLE_TIMEOUT'], `${name}: one IDLE_TIMEOUT, after ${n} bytes trickled`);
          assert.equal(peer.serverEnded, true, `${name}: the server closed it`);
        }
        await ctx.assertBaseline('after the tricklers');
      });
    });

    it('a few concurrent tricklers do not stop a normal client from being served (even with every worker taken)', CASE, async () => {
      await withServer(v, { ...BASE, idleTimeoutMs: 500, ...capped(v, 2) }, async (ctx) => {
        const tricklers = await Promise.all([1, 2, 3].map(() => ctx.peer()));
        const trickling = tricklers.map((p) => p.trickle(Buffer.from('ECHO never ending '), 100, 12_000));
        await tick(100);
        const client = await connect({ port: ctx.port, timeoutMs: 20_000 });
        assert.equal(await client.request('PING'), 'PONG');
        await client.exit();
        const bytes = await Promise.all(trickling);
        // How each ended goes in the message: a run that failed once under load (prefork-reuseport, one
        // trickler with no reply at all, the case over in 530 ms) left no trace of why.
        tricklers.forEach((p, i) => assert.deepEqual(p.replies().map(codeOf), ['IDLE_TIMEOUT'], `trickler ${i}: ${bytes[i]} bytes trickled, ${p.received} received, server FIN ${p.serverEnded}, error ${p.error}`));
        await ctx.assertBaseline('after the tricklers');
      });
    });

    // 4. ------------------------------------------------------------------------------------------
    it('replies held behind a slow head: server memory stays bounded while the client does not read; then all arrive in order', CASE, async (t) => {
      const ARG = 256 * 1024; // ECHO argument per frame
      const FRAMES = 256; // 64 MiB in all
      const HEAD_MS = 2000; // the slow head: WAIT 2000
      const limits = { ...LIMITS, maxFrameBytes: ARG + 64 };
      const maxPending = DEFAULT_LIMITS.maxPendingBytes;
      await withServer(v, { ...BASE, limits }, async (ctx) => {
        const peer = await ctx.peer({ keep: false }); // replies are checked as they arrive
        await peer.send(encodeRequest('PING', 'binary'));
        assert.ok(await peer.until(() => peer.received >= 12, SOON_MS), 'served');
        peer.socket.pause(); // from now on the client reads nothing
        // A design with spares replaces the one this client took, in the background: let the tree's processes
        // and threads settle first, or the replacement's memory would count as replies held.
        await settledTree(SPARE_CHECK_INTERVAL_MS + 300);
        const before = treeRss(); // with this connection being served (its process or thread started)
        const rss = ctx.sample(() => treeRss());
        await peer.send(encodeRequest(`WAIT ${HEAD_MS}`, 'binary'));
        // One frame buffer, rewritten for each request once the kernel has taken the previous one: the
        // client holds one frame at most, so the memory measured is the server's.
        const frame = Buffer.concat([frameHeader(5 + ARG), Buffer.from('ECHO '), Buffer.alloc(ARG)]);
        let written = 0;
        const writer = (async () => {
          for (let i = 0; i < FRAMES; i++) {
            frame.fill(i % 251, 13);
            frame.write(String(i).padStart(8, '0'), 13, 'latin1');
            if (!(await peer.send(frame))) return;
            written++;
          }
        })();
        // While the head is pending nothing can be answered: every byte read is held by the server.
        await tick(HEAD_MS - 700);
        const heldPeak = rss.stop() - before;
        const writtenWhileHeld = written;
        // Then the head is answered, and replies queue towards a client that still reads nothing
        // (reported only: what passes through the kernel's socket buffers leaves garbage behind).
        const flushing = ctx.sample(() => treeRss());
        await tick(1500);
        const flushPeak = flushing.stop() - before;
        // What the server may hold (a few times its per-connection bound, for the copies a reply makes on
        // its way), plus 32 MiB for the garbage collector's slack: an in-process server shares its heap
        // with this test. A server without the bound would hold all 64 MiB.
        const bound = 4 * (maxPending + limits.maxFrameBytes) + 32 * 2 ** 20;
        const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
        t.diagnostic(`${v.name} held replies: ${writtenWhileHeld} of ${FRAMES} frames of 256 KiB taken (by the server and the kernel) while the head was pending; server RSS growth ${mib(heldPeak)} (bound ${mib(bound)}), ${mib(flushPeak)} once replies queued for a client not reading (${written} frames taken)`);
        assert.ok(writtenWhileHeld < FRAMES, 'the server stopped reading (backpressure) while replies were held');
        assert.ok(heldPeak < bound, `server RSS grew ${mib(heldPeak)} while holding replies behind the head (bound ${mib(bound)})`);
        // Now read: every reply arrives, complete and in order.
        const decoder = new ReplyDecoder();
        let n = -1;
        const problems: string[] = [];
        peer.socket.on('data', (d: Buffer) => {
          decoder.push(d);
          let r: DecodedReply | null;
          while ((r = decoder.next()) !== null) {
            if (n === -1) {
              if (!r.ok || r.value.toString() !== String(HEAD_MS)) problems.push(`WAIT reply: ${codeOf(r)}`);
            } else if (!r.ok || r.value.length !== ARG || r.value.toString('latin1', 0, 8) !== String(n).padStart(8, '0') || r.value[ARG - 1] !== n % 251) {
              problems.push(`reply ${n}: ${r.ok ? `${r.value.length} bytes, starts ${r.value.toString('latin1', 0, 8)}` : codeOf(r)}`);
            }
            n++;
          }
        });
        peer.resume();
        await writer;
        assert.equal(written, FRAMES, 'every frame was sent once the client read');
        assert.ok(await waitFor(() => n === FRAMES, 30_000), `all replies arrived (${n} of ${FRAMES})`);
        assert.deepEqual(problems.slice(0, 5), [], 'every reply complete and in order');
        await ctx.assertBaseline('after the held replies');
      });
    });

    // 5. ------------------------------------------------------------------------------------------
    const SHUTDOWN_CLIENTS = 8;
    const SHUTDOWN_WORKERS = 3;
    const DRAIN_MS = 15_000;

    // A task that holds its executor, so that requests queue behind it; on the server's own thread
    // (single) a SLEEP would block close() itself, so there the in-flight task is a WAIT.
    const SHUTDOWN_TASK = v.workers === 'none' ? 'WAIT 400' : 'SLEEP 400';

    interface ShutdownRun {
      clients: Client[];
      /** Per client: its task's and its PING's outcomes, then (served clients) a PING sent once the shutdown began. */
      outcomes: Promise<string>[][];
    }

    /**
     * Connects SHUTDOWN_CLIENTS clients in order (the first `served` are served, each PINGs; the rest
     * wait in the queue), then each pipelines SHUTDOWN_TASK and a PING.
     */
    async function inFlight(port: number, served: number): Promise<ShutdownRun> {
      const clients: Client[] = [];
      for (let i = 0; i < SHUTDOWN_CLIENTS; i++) {
        const c = await connect({ port, connectTimeoutMs: SOON_MS });
        if (i < served) assert.equal(await c.request('PING'), 'PONG');
        clients.push(c);
        await tick(10);
      }
      await tick(100);
      const outcomes = clients.map((c) => [outcomeOf(c.request(SHUTDOWN_TASK)), outcomeOf(c.request('PING'))]);
      await tick(150);
      return { clients, outcomes };
    }

    /** Once the shutdown has begun, each served client (its task still in flight) sends one more request. */
    function lateRequests(run: ShutdownRun, served: number): void {
      for (let i = 0; i < served; i++) run.outcomes[i]!.push(outcomeOf(run.clients[i]!.request('PING')));
    }

    /** `drainKnown`: the drain began, in the process that reads the connection, before the late requests were sent. */
    async function checkShutdownOutcomes(run: ShutdownRun, served: number, drainKnown: boolean): Promise<string[][]> {
      const results = await Promise.all(run.outcomes.map((o) => Promise.all(o)));
      const all = results.flat();
      assert.deepEqual(all.filter((o) => o !== 'OK' && o !== 'SHUTTING_DOWN'), [], `every request got OK or SHUTTING_DOWN, none a reset or a close without reply: ${JSON.stringify(tally(all))}`);
      for (const [i, r] of results.entries()) {
        // Clients still waiting for their turn when the drain began get SHUTTING_DOWN for every request.
        if (i >= served) assert.deepEqual(r, ['SHUTTING_DOWN', 'SHUTTING_DOWN'], `queued client ${i}`);
        // A request read once the drain has begun is not started.
        else if (drainKnown) assert.equal(r[2], 'SHUTTING_DOWN', `client ${i}: the request sent during the drain`);
      }
      return results;
    }

    it('close() with requests in flight: every request gets OK or SHUTTING_DOWN, no reset; close() ends when all is answered', CASE, async (t) => {
      const served = Math.min(SHUTDOWN_CLIENTS, capacityOf(v, SHUTDOWN_WORKERS));
      const server = await v.start({ ...BASE, drainTimeoutMs: DRAIN_MS, ...capped(v, SHUTDOWN_WORKERS) });
      const port = server.address.port;
      const before = procCounts(port);
      let clients: Client[] = [];
      try {
        const run = await inFlight(port, served);
        clients = run.clients;
        const t0 = performance.now();
        const closing = server.close();
        lateRequests(run, served);
        await closing;
        const closeMs = performance.now() - t0;
        // close() began the drain before the late requests were written (a worker that owns the socket hears of it later).
        const results = await checkShutdownOutcomes(run, served, v.workers !== 'processes' && !v.workerOwnsSocket);
        t.diagnostic(`${v.name} close() with ${SHUTDOWN_CLIENTS} clients × (${SHUTDOWN_TASK}, PING) in flight, ${served} served: ${JSON.stringify(tally(results.flat()))}; close() took ${closeMs.toFixed(0)} ms (drainTimeoutMs ${DRAIN_MS})`);
        assert.ok(closeMs < DRAIN_MS / 2, `close() resolved after ${closeMs.toFixed(0)} ms, not once everything was answered`);
        let closed = 0;
        for (const c of clients) void c.closed.then(() => closed++);
        assert.ok(await waitFor(() => closed === clients.length, SOON_MS), 'every client saw its connection closed');
        assert.equal(server.stats().workers.alive, 0, 'no worker outlives close()');
        const { now } = await waitForBaseline(port, { ...before, children: 0 }, SOON_MS);
        assert.equal(now.children, 0, 'no worker process outlives close()');
        assert.equal(now.sockets, 0, 'no connection outlives close()');
      } finally {
        for (const c of clients) c.socket.destroy();
        await server.close();
      }
    });

    it('SIGTERM on the CLI with requests in flight: every request gets OK or SHUTTING_DOWN, no reset; exits 0 once all is answered', CASE, async (t) => {
      const served = Math.min(SHUTDOWN_CLIENTS, capacityOf(v, SHUTDOWN_WORKERS));
      const flags = ['--port', '0', '--quiet', '--linger-ms', '300', '--drain-timeout-ms', String(DRAIN_MS), ...(v.admission === 'max-workers' ? ['--max-workers', String(SHUTDOWN_WORKERS)] : [])];
      const cli = await spawnServerCli(v.cli.bin, [...v.cli.args, ...flags]);
      let clients: Client[] = [];
      try {
        const run = await inFlight(cli.port, served);
        clients = run.clients;
        const workers = nodeDescendants(cli.proc.pid!);
        const t0 = performance.now();
        cli.proc.kill('SIGTERM');
        lateRequests(run, served);
        const code = await cli.exited;
        const exitMs = performance.now() - t0;
        // The signal and the late requests reach the server's process together: either may be handled first.
        const results = await checkShutdownOutcomes(run, served, false);
        t.diagnostic(`${v.name} SIGTERM with ${SHUTDOWN_CLIENTS} clients × (${SHUTDOWN_TASK}, PING) in flight, ${served} served: ${JSON.stringify(tally(results.flat()))}; exit code ${code} after ${exitMs.toFixed(0)} ms (drainTimeoutMs ${DRAIN_MS})`);
        assert.equal(code, 0, 'exit code 0');
        assert.ok(exitMs < DRAIN_MS / 2, `the CLI exited after ${exitMs.toFixed(0)} ms, not once everything was answered`);
        assert.ok(await waitFor(() => workers.every((pid) => !pidAlive(pid)), SOON_MS), 'no worker process outlives the CLI');
      } finally {
        for (const c of clients) c.socket.destroy();
        if (cli.proc.exitCode === null && cli.proc.signalCode === null) cli.proc.kill('SIGKILL');
      }
    });

    shutdownAtLoadCase(v);

    // 6. ------------------------------------------------------------------------------------------
    if (v.admission !== 'all') {
      it('beyond the worker cap clients wait, connected and unanswered, and are served in arrival order; beyond the backlog BACKLOG_FULL', CASE, async (t) => {
        const cap = capacityOf(v, 2);
        const backlog = 3;
        await withServer(v, { ...BASE, backlog, ...capped(v, 2) }, async (ctx) => {
          const alive = ctx.sample(() => ctx.server.stats().workers.alive);
          const procs = ctx.sample(() => (v.workers === 'processes' ? nodeDescendants().length : v.workers === 'threads' ? threadCount() - ctx.base.threads : 0));
          const running: Client[] = [];
          for (let i = 0; i < cap; i++) {
            const c = await ctx.client();
            assert.equal(await c.request('PING'), 'PONG');
            running.push(c);
          }
          const waiting: { name: string; client: Client; answered: boolean; reply: Promise<string> }[] = [];
          for (let i = 0; i < backlog; i++) {
            const client = await ctx.client();
            const w = { name: `w${i}`, client, answered: false, reply: Promise.resolve('') };
            w.reply = client.request(`ECHO ${w.name}`).then((r) => ((w.answered = true), r));
            waiting.push(w);
            await tick(50); // arrival order
          }
          for (let i = 0; i < 2; i++) {
            const { data, closedByServer } = await rawExchange(ctx.port, ['PING\n']);
            assert.match(data.toString(), /^ERR SOCKETLAB_ERR_BACKLOG_FULL /, 'beyond the backlog');
            assert.ok(closedByServer);
          }
          await tick(200);
          assert.deepEqual(waiting.filter((w) => w.answered).map((w) => w.name), [], 'waiting clients are not answered');
          const order: string[] = [];
          while (waiting.length > 0) {
            await running.shift()!.exit();
            const next = waiting.shift()!;
            order.push(await next.reply);
            assert.deepEqual(waiting.filter((w) => w.answered).map((w) => w.name), [], `only ${next.name} got the freed place`);
            running.push(next.client);
          }
          assert.deepEqual(order, ['w0', 'w1', 'w2'], 'served in arrival order');
          for (const c of running) await c.exit();
          t.diagnostic(`${v.name} cap ${cap}: most workers alive ${alive.stop()}, most ${v.workers === 'threads' ? 'extra threads' : 'child processes'} ${procs.stop()}`);
          assert.ok(alive.max <= (v.admission === 'max-workers' ? cap : 0), `never more than ${cap} workers alive (saw ${alive.max})`);
          if (v.workers !== 'none') assert.ok(procs.max <= cap, `never more than ${cap} worker ${v.workers} in /proc (saw ${procs.max})`);
          await ctx.assertBaseline('after the queue drained');
        });
      });
    }

    it('a flood beyond maxConnections: every client gets served or one coded ERR; caps hold', CASE, async (t) => {
      const maxConnections = 4;
      const N = 24;
      await withServer(v, { ...BASE, maxConnections, ...capped(v, 2) }, async (ctx) => {
        const active = ctx.sample(() => ctx.server.stats().connections.active);
        const alive = ctx.sample(() => ctx.server.stats().workers.alive);
        const outcomes = await Promise.all(
          Array.from({ length: N }, async (_, i) => {
            const p = await ctx.peer();
            await p.send(`ECHO f${i}\n`);
            await p.until(() => p.data.includes(0x0a) || p.isClosed, 30_000);
            const first = p.replies()[0];
            const outcome = first ? codeOf(first) : p.error === 'ECONNRESET' ? 'RESET' : 'EOF';
            if (outcome === 'OK') {
              assert.equal(first!.ok && first!.value.toString(), `f${i}`);
              await p.send('EXIT\n');
            }
            assert.ok(await p.closedWithin(SOON_MS), `client ${i} (${outcome}) closed`);
            return outcome;
          }),
        );
        const counts = tally(outcomes);
        t.diagnostic(`${v.name} ${N} clients at once, maxConnections ${maxConnections}: ${JSON.stringify(counts)}; most active ${active.stop()}, most workers alive ${alive.stop()}`);
        assert.deepEqual(outcomes.filter((o) => !['OK', 'TOO_MANY_CONNECTIONS', 'BACKLOG_FULL'].includes(o)), [], 'no client was left without a reply');
        assert.ok((counts.OK ?? 0) >= 1 && (counts.TOO_MANY_CONNECTIONS ?? 0) >= 1, JSON.stringify(counts));
        assert.ok(active.max <= maxConnections, `never more than maxConnections open (saw ${active.max})`);
        if (v.admission === 'max-workers') assert.ok(alive.max <= 2, `never more than maxWorkers alive (saw ${alive.max})`);
        // Every client has closed, but a server learns of it a moment later (an mp child reports over IPC):
        // until then its places still count against maxConnections.
        assert.ok(await waitFor(() => ctx.server.stats().connections.active === 0, SOON_MS), `connections close: ${JSON.stringify(ctx.server.stats().connections)}`);
        await assertServes(ctx.port);
        await ctx.assertBaseline('after the flood');
      });
    });

    // 7. ------------------------------------------------------------------------------------------
    it('a burst of connections opened and closed, with and without sending, leaves nothing behind', CASE, async (t) => {
      // A worker per connection costs a process or thread start per client served: fewer senders there.
      const perConnection = v.admission === 'max-workers';
      const N = perConnection ? 1000 : 2000;
      const sendRatio = perConnection ? 0.05 : 0.5;
      const seed = seedFromEnv();
      const r = prng(seed);
      await withServer(v, { ...BASE, ...capped(v, 4) }, async (ctx) => {
        const kinds: Record<string, number> = {};
        const kindOf = new Map<number, string>(); // client port → kind
        const pongs: string[] = [];
        let next = 0;
        const t0 = performance.now();
        const lane = async () => {
          while (next < N) {
            const i = next++;
            const sends = r() < sendRatio;
            const kind = i % 100 === 0 ? 'ping-wait' : sends ? (r() < 0.5 ? 'ping-close' : 'garbage-reset') : r() < 0.5 ? 'silent-close' : 'silent-reset';
            kinds[kind] = (kinds[kind] ?? 0) + 1;
            let p: RawPeer;
            try {
              p = await RawPeer.open(ctx.port);
            } catch (err) {
              kinds[`connect-${(err as NodeJS.ErrnoException).code}`] = (kinds[`connect-${(err as NodeJS.ErrnoException).code}`] ?? 0) + 1;
              continue;
            }
            kindOf.set(p.socket.localPort!, kind);
            if (kind === 'silent-reset') p.socket.resetAndDestroy();
            else if (kind === 'garbage-reset') {
              p.socket.write(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 2000) }, () => Math.floor(r() * 256))));
              p.socket.resetAndDestroy();
            } else {
              if (kind !== 'silent-close') p.socket.write('PING\n');
              if (kind !== 'ping-wait') p.end();
              if (kind === 'ping-wait') {
                await p.until(() => p.received >= 8 || p.isClosed, 30_000);
                pongs.push(p.data.toString());
                p.end();
              }
              await p.closedWithin(30_000);
            }
            p.destroy();
          }
        };
        await Promise.all(Array.from({ length: 100 }, lane));
        const burstMs = performance.now() - t0;
        // If connections are left, say which clients they belonged to.
        if (!(await waitFor(() => ctx.server.stats().connections.active === 0, SOON_MS))) {
          const left = tally([...heldPeers(ctx.port)].map((port) => kindOf.get(port) ?? 'unknown'));
          assert.fail(`after ${N} connections (seed ${seed}): ${ctx.server.stats().connections.active} still active; held by the server, by client kind: ${JSON.stringify(left)}`);
        }
        const after = await ctx.assertBaseline(`after ${N} connections`);
        t.diagnostic(`${v.name} burst of ${N} connections (seed ${seed}) in ${burstMs.toFixed(0)} ms: ${JSON.stringify(kinds)}; after: ${describeCounts(after)} (baseline ${describeCounts(ctx.base)})`);
        assert.deepEqual(pongs.filter((p) => p !== 'OK PONG\n'), [], `every waiting client was answered (seed ${seed})`);
        await assertServes(ctx.port);
      });
    });

    // 8. ------------------------------------------------------------------------------------------
    if (v.killWorker) {
      const kill = v.killWorker;
      it('a worker killed mid-task: its client gets WORKER_CRASHED (threads: for every request held), the worker is replaced, the next requests succeed', CASE, async (t) => {
        await withServer(v, BASE, async (ctx) => {
          const victim = await ctx.client();
          const info = parseInfo(await victim.request('INFO'));
          // Two requests in flight (pipelined): each is answered for. SLEEP, not WAIT: a pool runs a task
          // that occupies no thread (WAIT's timer) on the thread that reads the socket, not on a worker.
          const pending = [outcomeOf(victim.request('SLEEP 3000')), outcomeOf(victim.request('SLEEP 3000'))];
          await tick(100);
          kill(ctx.server, info);
          const outcomes = await Promise.all(pending);
          assert.equal(outcomes[0], 'WORKER_CRASHED');
          assert.ok(await waitFor(() => ctx.server.stats().workers.crashed >= 1 && ctx.server.stats().workers.alive === ctx.idleWorkers, SOON_MS), `replaced: ${JSON.stringify(ctx.server.stats().workers)}`);
          const next = await ctx.client();
          assert.equal(await next.request('FIB 20'), '6765');
          const victimOpen = !victim.socket.destroyed && !victim.socket.readableEnded;
          // A thread design keeps the connection; a process design's socket died with its process (the parent answers and closes).
          if (victimOpen) assert.equal(await victim.request('PING'), 'PONG', 'the victim connection is served again');
          await next.exit();
          const after = await ctx.assertBaseline('after the crash');
          t.diagnostic(`${v.name} after a killed worker: requests in flight got ${JSON.stringify(outcomes)}; ${JSON.stringify(ctx.server.stats().workers)}; victim connection ${victimOpen ? 'kept' : 'closed by the server'}; ${describeCounts(after)}`);
          if (v.workers === 'processes') {
            // A dead child took the socket's reader and what it had read: the parent, holding an unread copy,
            // can only answer once and close (docs/errors.md, WORKER_CRASHED).
            assert.deepEqual(outcomes, ['WORKER_CRASHED', 'EOF'], 'one WORKER_CRASHED, then the connection closes');
            assert.equal(victimOpen, false, 'the parent closes the connection of a dead child');
          } else {
            assert.deepEqual(outcomes, ['WORKER_CRASHED', 'WORKER_CRASHED'], 'every request in flight gets WORKER_CRASHED, not only the oldest');
          }
        });
      });
    }

    // 9. ------------------------------------------------------------------------------------------
    it('the text log cannot be forged: client bytes are escaped, capped, one line per event', CASE, async () => {
      const FORGED = 'TCP connection established with 6.6.6.6:666';
      const cli = await spawnServerCli(v.cli.bin, [...v.cli.args, '--port', '0', '--linger-ms', '300']);
      try {
        const client = await connect({ port: cli.port });
        const peer = `127.0.0.1:${client.socket.localPort}`;
        const echoes: [string, Buffer, 'text' | 'binary'][] = [
          ['m1', Buffer.from(`\n${FORGED}\r\nReceived task from 6.6.6.6:666: PING\n\x1b[2J\x1b]0;pwned\x07\u2028\u0085\u009b31m\x00end`), 'binary'],
          ['m2', Buffer.from(`\r${FORGED}\x1b[31mred\x1b[0m\t\x7f`), 'text'],
          ['m4', Buffer.from(`\n${FORGED}\n`.repeat(3000)), 'binary'], // ~130 KiB: capped
          ['m5', Buffer.concat([Buffer.from([0xff, 0x1b, 0x0a, 0x0d, 0x00]), Buffer.from(FORGED)]), 'binary'], // invalid UTF-8 too
        ];
        for (const [marker, payload, framing] of echoes) {
          const arg = Buffer.concat([Buffer.from(`${marker} `), payload]);
          const reply = await client.requestRaw(Buffer.concat([Buffer.from('ECHO '), arg]), framing);
          assert.ok(reply.equals(arg), `${marker}: ECHO returns the bytes unchanged`);
        }
        await assert.rejects(client.request(`m3NOPE\x1b[2J\r${FORGED}`), { code: 'SOCKETLAB_ERR_UNKNOWN_COMMAND' });
        await client.exit();
        await cli.waitForLine(new RegExp(`^Closing connection with ${peer.replace(/\./g, '\\.')}$`));
        const lines = cli.lines;
        // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
        const raw = lines.filter((l) => /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(l));
        assert.deepEqual(raw, [], 'no raw control character reaches the log');
        const received = lines.filter((l) => l.startsWith(`Received task from ${peer}: `));
        assert.equal(received.length, 6, `one line per request: ${received.join('\n')}`);
        for (const m of ['m1', 'm2', 'm3', 'm4', 'm5']) assert.equal(received.filter((l) => l.includes(m)).length, 1, `one Received line for ${m}`);
        const forged = lines.filter((l) => l.includes('6.6.6.6') && !l.startsWith(`Received task from ${peer}: `) && !l.startsWith(`Error handling client ${peer}: `));
        assert.deepEqual(forged, [], 'the forged text never starts a line');
        const longest = Math.max(...lines.map((l) => l.length));
        assert.ok(longest < 2000, `logged payloads are capped (longest line ${longest} characters)`);
        assert.ok(received.some((l) => /m4.*… \(\d+ bytes\)$/.test(l)), 'a capped payload says how big it was');
      } finally {
        cli.proc.kill('SIGTERM');
        await cli.exited;
      }
    });

    // Fuzz -----------------------------------------------------------------------------------------
    it('fuzz over real sockets (seeded): random requests, bytes, chunking and closes; the server still answers and holds no leaked fd', CASE, async (t) => {
      const seed = seedFromEnv();
      const idleTimeoutMs = 1000;
      const processes = v.admission === 'max-workers' && v.workers === 'processes';
      await withServer(v, { ...BASE, lingerMs: 200, idleTimeoutMs, ...capped(v, 4) }, async (ctx) => {
        const result = await runFuzz({
          port: ctx.port,
          seed,
          budgetMs: 3000,
          maxConnections: processes ? 60 : 400,
          concurrency: 6,
          maxLineBytes: LIMITS.maxLineBytes,
          maxFrameBytes: LIMITS.maxFrameBytes,
          idleTimeoutMs,
          closeBoundMs: 20_000,
        });
        t.diagnostic(`${v.name} fuzz seed ${seed} (replay: SOCKETLAB_FUZZ_SEED=${seed}): ${result.connections} connections, ${(result.bytesSent / 1024).toFixed(0)} KiB sent, ${result.replies} replies, endings ${JSON.stringify(result.endings)}`);
        assert.deepEqual(result.failures.slice(0, 10), [], `fuzz seed ${seed} (replay with SOCKETLAB_FUZZ_SEED=${seed}): ${result.failures.length} failures`);
        await assertServes(ctx.port);
        await ctx.assertBaseline(`after the fuzz (seed ${seed})`);
      });
    });
  });
}

