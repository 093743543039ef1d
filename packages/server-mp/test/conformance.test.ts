import { runConformanceSuite } from '@socketlab/test-utils';
import { startServer } from '@socketlab/server-mp';

for (const strategy of ['per-connection', 'pool'] as const) {
  runConformanceSuite({
    name: `mp-${strategy}`,
    design: 'mp',
    strategy,
    concurrent: true,
    start: (options) => startServer({ ...options, strategy }),
  });
}
