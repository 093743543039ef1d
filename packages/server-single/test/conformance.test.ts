import { runConformanceSuite } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-single';

for (const mode of ['iterative', 'event-loop'] as const) {
  runConformanceSuite({
    name: `single-${mode}`,
    design: 'single',
    strategy: mode,
    concurrent: mode !== 'iterative',
    start: (options) => startServer({ ...options, mode }),
  });
}
