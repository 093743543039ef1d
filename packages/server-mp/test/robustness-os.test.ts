import { robustness } from './robustness-suite.ts';
import { variantsFor } from './variants.ts';

// The variants that need node:cluster's SCHED_NONE, in a process of their own (see variants.ts).
for (const v of variantsFor('os')) robustness(v);
