import { runConformanceSuite } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-mt';

for (const strategy of ['per-connection', 'pool'] as const) {
  runConformanceSuite({
    name: `mt-${strategy}`,
    design: 'mt',
    strategy,
    concurrent: true,
    start: (options) => startServer({ ...options, strategy }),
  });
}
