import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runRobustnessSuite } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-mp';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

for (const strategy of ['per-connection', 'pool'] as const) {
  runRobustnessSuite({
    name: `mp-${strategy}`,
    design: 'mp',
    strategy,
    concurrent: true,
    admission: strategy === 'per-connection' ? 'max-workers' : 'all',
    workers: 'processes',
    start: (options) => startServer({ ...options, strategy }),
    cli: { bin: BIN, args: ['--strategy', strategy, '--pool-size', '2'] },
    killWorker: (server, info) => {
      if (strategy === 'per-connection') {
        process.kill(info.pid, 'SIGKILL'); // the client's own process
        return;
      }
      // The pool process that owns the client's socket (and runs its tasks), by its index in the pool.
      const index = server.workerPids.indexOf(info.pid);
      assert.equal(server.experimental_killWorker(index), info.pid);
    },
  });
}
