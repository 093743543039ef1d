import { robustness } from './robustness-suite.ts';
import { variantsFor } from './variants.ts';

// mp-prefork-os runs in robustness-os.test.ts: node:cluster's policy is one per process (see variants.ts).
for (const v of variantsFor('rr')) robustness(v);
