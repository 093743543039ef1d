import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runRobustnessSuite } from '@socketlab/test-utils';
import { starter, type MpVariant } from './variants.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

/** Registers the shared robustness suite for one server-mp variant. */
export function robustness(v: MpVariant): void {
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
    // Without the socket copy nobody answers a dead child's clients: that case is prefork.test.ts's.
    killWorker: 'crashAnswer' in v.options && v.options.crashAnswer === 'off' ? undefined : (server, info) => {
      if (strategy === 'per-connection') {
        process.kill(info.pid, 'SIGKILL'); // the client's own process
        return;
      }
      // The pool (or prefork) process that owns the client's socket (and runs its tasks), by its place.
      const s = server as unknown as { workerPids: number[]; experimental_killWorker(index: number): number | null };
      const index = s.workerPids.indexOf(info.pid);
      assert.equal(s.experimental_killWorker(index), info.pid);
    },
  });
}
