import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { validateResults, type SweepResults } from '@socketlab/results';
import { startServer, type Server } from '@socketlab/server-single';
import { machineKey, UNKNOWN_MACHINE } from '../src/shard/cohost.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs the loadgen CLI to its end (bounded by `timeoutMs`): exit code, stdout, stderr. */
function runCli(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('co-hosted shards (two loadgen processes on this machine, one server on 127.0.0.1)', { skip: machineKey() === UNKNOWN_MACHINE && 'no /proc machine key here' }, () => {
  let server: Server;
  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
  });
  after(async () => {
    await server.close();
  });

  it('each shard finds the other on its machine and records it in every run\'s noise', { timeout: 90_000 }, async () => {
    const rendezvous = await freePort();
    const sweep = ['--target', `127.0.0.1:${server.address.port}`, '--clients', '2,4', '--workloads', 'wait', '--time-scale', '0.01', '--runs', '2', '--loadgen-workers', '1', '--quiet-wait-ms', '0', '--json', '--quiet'];
    const shards = await Promise.all([0, 1].map((i) => runCli(['--shard', `${i}/2`, '--rendezvous', `127.0.0.1:${rendezvous}`, '--rendezvous-timeout-ms', '30000', ...sweep], 80_000)));
    const results = shards.map((r, i) => {
      assert.equal(r.code, 0, `shard ${i}: ${r.stderr}`);
      return JSON.parse(r.stdout) as SweepResults;
    });
    for (const [i, doc] of results.entries()) {
      assert.deepEqual(validateResults(doc).errors, [], `shard ${i}'s results validate with the new field`);
      assert.equal(doc.shard!.index, i);
      const runs = doc.cells.flatMap((c) => c.runs);
      assert.equal(runs.length, 4);
      // The other shard is a separate process here (its own pid): found through the rendezvous, visible in /proc.
      assert.deepEqual(runs.map((r) => r.noise!.cohostedShards), [1, 1, 1, 1], `shard ${i}`);
    }
  });
});
