import { robustness } from './robustness-suite.ts';
import { variantsFor } from './variants.ts';

// Half the variants of node:cluster's rr policy (robustness-a.test.ts runs the other half, and
// robustness-os.test.ts the os one, each in a process of its own, at the same time: see variants.ts).
for (const v of variantsFor('rr').filter((_, i) => i % 2 === 1)) robustness(v);
