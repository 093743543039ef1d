import { runConformanceSuite } from '@socketlab/test-utils';
import { starter, variantsFor } from './variants.ts';

// The variants that need node:cluster's SCHED_NONE, in a process of their own (see variants.ts).
for (const v of variantsFor('os')) {
  runConformanceSuite({ name: v.name, design: 'mp', strategy: v.strategy, concurrent: true, start: starter(v) });
}
