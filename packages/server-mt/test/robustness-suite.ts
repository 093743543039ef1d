import { fileURLToPath } from 'node:url';
import { runRobustnessSuite } from '@socketlab/test-utils';
import { ownsSocket, starter, type MtVariant } from './variants.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

/** The shared robustness suite on one server-mt variant (robustness-a/-b.test.ts split the variants, so the two files run at once). */
export function robustness(v: MtVariant): void {
  runRobustnessSuite({
    name: v.name,
    design: 'mt',
    strategy: v.strategy,
    concurrent: true,
    admission: v.strategy === 'per-connection' ? 'max-workers' : 'all',
    workers: 'threads',
    workerOwnsSocket: ownsSocket(v),
    start: starter(v),
    cli: { bin: BIN, args: ['--strategy', v.strategy, '--pool-size', '2', ...v.args] },
    // A thread per connection cannot be reached from outside; a pool's can. Any pool thread may hold
    // the client's task, so all of them die (each is replaced).
    killWorker:
      v.strategy === 'pool'
        ? (server) => {
            for (let i = 0; server.experimental_killWorker(i) !== null; i++);
          }
        : undefined,
  });
}
