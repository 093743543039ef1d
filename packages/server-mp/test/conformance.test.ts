import { runConformanceSuite } from '@socketlab/test-utils';
import { VARIANTS, starter } from './variants.ts';

for (const v of VARIANTS) {
  runConformanceSuite({ name: v.name, design: 'mp', strategy: v.strategy, concurrent: true, start: starter(v) });
}
