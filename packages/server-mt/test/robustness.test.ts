import { fileURLToPath } from 'node:url';
import { runRobustnessSuite } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-mt';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

for (const strategy of ['per-connection', 'pool'] as const) {
  runRobustnessSuite({
    name: `mt-${strategy}`,
    design: 'mt',
    strategy,
    concurrent: true,
    admission: strategy === 'per-connection' ? 'max-workers' : 'all',
    workers: 'threads',
    start: (options) => startServer({ ...options, strategy }),
    cli: { bin: BIN, args: ['--strategy', strategy, '--pool-size', '2'] },
    // A thread per connection cannot be reached from outside; a pool's can. Any pool thread may hold
    // the client's task, so all of them die (each is replaced).
    killWorker:
      strategy === 'pool'
        ? (server) => {
            for (let i = 0; server.experimental_killWorker(i) !== null; i++);
          }
        : undefined,
  });
}
