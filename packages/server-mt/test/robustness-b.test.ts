import { robustness } from './robustness-suite.ts';
import { VARIANTS } from './variants.ts';

// Half the variants (robustness-a.test.ts runs the other half, in a process of its own, at the same time).
for (const v of VARIANTS.filter((_, i) => i % 2 === 1)) robustness(v);
