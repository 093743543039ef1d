import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runRobustnessSuite } from '@socketlab/test-utils';
import { VARIANTS, starter } from './variants.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

for (const v of VARIANTS) {
  const strategy = v.strategy;
  runRobustnessSuite({
    name: v.name,
    design: 'mp',
    strategy,
    concurrent: true,
    admission: strategy === 'per-connection' ? 'max-workers' : 'all',
    workers: 'processes',
    start: starter(v),
    cli: { bin: BIN, args: ['--strategy', strategy, '--pool-size', '2', ...v.args] },
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
