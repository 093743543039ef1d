import { Type, type Static } from '@sinclair/typebox';

/**
 * `budget` of a results document (v2, optional): how a sweep with a time budget (loadgen --budget) was
 * planned to fit, what the plan left out, and where its extra runs went. Kept apart from schema.ts, which
 * imports it; closed objects like every other part of the format.
 */
const Int = (description: string, minimum = 0) => Type.Integer({ minimum, description });
const Ints = (description: string) => Type.Array(Int('A client count N.', 1), { description });

const BudgetComparisonSchema = Type.Object(
  {
    workload: Type.String({ description: 'Workload name.' }),
    clients: Int('N.', 1),
    designs: Type.Array(Type.String({ description: 'A design label.' }), { minItems: 2, maxItems: 2, description: 'The two designs with the lowest median total time at this N, the lower first.' }),
    separated: Type.Boolean({ description: 'Whether the comparison rule (compareRuns) separated them by the end of the sweep.' }),
    noisy: Type.Boolean({ description: 'A run of either cell was noisy: the report withholds the ranking, so no extra runs were spent here.' }),
    extraRuns: Int('Runs added to the two cells together after the plan, to separate them.'),
  },
  { additionalProperties: false, description: 'The two best designs at one workload × N, and whether the budget separated them.' },
);

export const BudgetSchema = Type.Object(
  {
    budgetMs: Int('The budget. Unit: ms.', 1),
    estimatedMs: Type.Number({ minimum: 0, description: 'The planned sweep\'s estimate (the progress ETA\'s model). Unit: ms.' }),
    requestedClients: Ints('The client counts asked for, before the plan.'),
    requestedRuns: Int('The runs per cell asked for, before the plan.', 1),
    leftOutClients: Ints('Client counts the plan dropped to fit (interior N only: the smallest and largest are always kept).'),
    note: Type.String({ description: 'The plan in words, as printed before the first run.' }),
    extraRuns: Int('Runs added after the plan, on cells where the comparison rule could not yet separate the two best designs.'),
    comparisons: Type.Array(BudgetComparisonSchema, { description: 'One entry per workload × N with two or more measured designs, in sweep order.' }),
  },
  { additionalProperties: false, description: '(v2) The time budget\'s plan and extra runs (loadgen --budget). Absent: no budget.' },
);

export type SweepBudget = Static<typeof BudgetSchema>;
export type BudgetComparison = Static<typeof BudgetComparisonSchema>;
