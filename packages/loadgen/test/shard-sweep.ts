import type { ResolvedSweepConfig, SweepResults } from '@socketlab/results';
import { resolveConfig, runSweep } from '../src/index.ts';
import { parseShard } from '../src/shard/contract.ts';
import { ShardSession } from '../src/shard/session.ts';

/** The merge tests' sharded sweep: N clients over SHARDS shards (shares 3, 2, 2). */
export const N = 7;
export const SHARDS = 3;

/** A real sharded sweep, in this process: three shards meet at a rendezvous on 127.0.0.1 and load one server. */
export async function shardedSweep(target: string, config: ResolvedSweepConfig = resolveConfig({ target, clients: [N], workloads: ['wait'], timeScale: 0.01, runs: 2, quietWaitMs: 0, noiseRetries: 0, loadgenWorkers: 1, budgetMs: 0 })): Promise<SweepResults[]> {
  const port = await (async () => {
    const { createServer } = await import('node:net');
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const p = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  })();
  return Promise.all(
    Array.from({ length: SHARDS }, async (_, i) => {
      const session = await ShardSession.open(parseShard(`${i}/${SHARDS}`, '--shard', { SLURMD_NODENAME: `n${i + 1}` }), config, { host: '127.0.0.1', port }, { timeoutMs: 20_000 });
      try {
        return session.annotate(await runSweep(config, { shard: session.hooks }));
      } finally {
        await session.close();
      }
    }),
  );
}

