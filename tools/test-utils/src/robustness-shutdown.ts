import { it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Client } from '@socketlab/protocol';
import { spawnServerCli } from './cli.ts';
import type { RobustnessVariant } from './robustness-harness.ts';
import { outcomeOf, tally } from './robustness-peer.ts';
import { markedPids, newMark } from './marked.ts';
import { waitFor } from './helpers.ts';

/** Clients with a blocking task in flight at SIGTERM (the scale: 50). */
export const SHUTDOWN_AT_LOAD_CLIENTS = 50;
/** Their task: holds its executor (and, on a design without workers, the one thread). */
const TASK = 'SLEEP 1000';
const DRAIN_MS = 20_000;

/**
 * SIGTERM with SHUTDOWN_AT_LOAD_CLIENTS clients, each with a blocking task in flight, at a random
 * moment while the server is busiest (clients being accepted, children starting, tasks running,
 * others waiting in a queue or still in the kernel's accept queue). Every client gets OK (its task had
 * started) or SHUTTING_DOWN (it had not), never a reset or a close without a reply; the server exits 0
 * once all are answered, within the drain timeout; nothing it started is left.
 */
export function shutdownAtLoadCase(v: Pick<RobustnessVariant, 'name' | 'cli'>): void {
  it(`SIGTERM with ${SHUTDOWN_AT_LOAD_CLIENTS} clients × ${TASK} in flight: each gets OK or SHUTTING_DOWN, none a reset; exits 0, nothing left`, { timeout: 90_000 }, async (t) => {
    const mark = newMark();
    const cli = await spawnServerCli(v.cli.bin, [...v.cli.args, '--port', '0', '--quiet', '--linger-ms', '1000', '--drain-timeout-ms', String(DRAIN_MS)], 15_000, { mark });
    const clients: Client[] = [];
    try {
      const outcomes = await Promise.all(
        Array.from({ length: SHUTDOWN_AT_LOAD_CLIENTS }, async () => {
          const c = await connect({ port: cli.port, connectTimeoutMs: DRAIN_MS, timeoutMs: DRAIN_MS * 2 });
          clients.push(c);
          return c;
        }),
      ).then((cs) => cs.map((c) => outcomeOf(c.request(TASK))));
      const atMs = 50 + Math.floor(Math.random() * 600);
      await new Promise((r) => setTimeout(r, atMs));
      const t0 = performance.now();
      cli.proc.kill('SIGTERM');
      const results = await Promise.all(outcomes);
      const code = await cli.exited;
      const exitMs = performance.now() - t0;
      t.diagnostic(`${v.name}: SIGTERM ${atMs} ms after ${SHUTDOWN_AT_LOAD_CLIENTS} × ${TASK}: ${JSON.stringify(tally(results))}; exit ${code} after ${exitMs.toFixed(0)} ms`);
      assert.deepEqual(results.filter((o) => o !== 'OK' && o !== 'SHUTTING_DOWN'), [], `every client got OK or SHUTTING_DOWN: ${JSON.stringify(tally(results))}`);
      assert.equal(code, 0, 'exit code 0');
      assert.ok(exitMs < DRAIN_MS, `exited after ${exitMs.toFixed(0)} ms, once everything was answered, not at the drain timeout`);
      assert.ok(await waitFor(() => markedPids(mark).length === 0, 5_000), `nothing the server started is left: ${markedPids(mark).join(', ')}`);
    } finally {
      for (const c of clients) c.socket.destroy();
      if (cli.proc.exitCode === null && cli.proc.signalCode === null) cli.proc.kill('SIGKILL');
    }
  });
}
