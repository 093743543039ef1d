import { fileURLToPath } from 'node:url';
import { runRobustnessSuite } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-single';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

for (const mode of ['iterative', 'event-loop'] as const) {
  runRobustnessSuite({
    name: `single-${mode}`,
    design: 'single',
    strategy: mode,
    concurrent: mode !== 'iterative',
    admission: mode === 'iterative' ? 'one-at-a-time' : 'all',
    workers: 'none',
    start: (options) => startServer({ ...options, mode }),
    cli: { bin: BIN, args: ['--mode', mode] },
  });
}
