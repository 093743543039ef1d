import { runConformanceSuite } from '@socketlab/test-utils';
import { starter, variantsFor } from './variants.ts';

// mp-prefork-os runs in conformance-os.test.ts: node:cluster's policy is one per process (see variants.ts).
for (const v of variantsFor('rr')) {
  runConformanceSuite({ name: v.name, design: 'mp', strategy: v.strategy, concurrent: true, start: starter(v) });
}
