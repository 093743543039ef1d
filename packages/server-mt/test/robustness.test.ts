import { fileURLToPath } from 'node:url';
import { runRobustnessSuite } from '@socketlab/test-utils';
import { VARIANTS, ownsSocket, starter } from './variants.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

for (const v of VARIANTS) {
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
