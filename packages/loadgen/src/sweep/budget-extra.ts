import { compareRuns, median, type BudgetComparison, type CellResult, type SweepBudget } from '@socketlab/results';

/**
 * The budget's extra runs (--budget, after the planned sweep): at each workload × N, the two designs with
 * the lowest median total time, and whether the report's comparison rule (compareRuns, on the clean runs'
 * total times, as the report reads them) separates them. A pair that it does not, at an N with no noisy
 * run (the report withholds those rankings whatever the runs say), gets one more run of each cell.
 */

/** Clean runs' total times, ms: complete, no client error (what the report compares). */
function cleanTotals(cell: CellResult): number[] {
  return cell.runs.filter((r) => r.complete && r.totalMs !== null && r.errors.total === 0).map((r) => r.totalMs!);
}

/** Most runs the extra phase gives one cell (the rank test needs 5 a side; a few more may decide it). */
export const MAX_RUNS_PER_CELL = 8;

/** The two best designs of every workload × N with two or more measured designs, in sweep order. */
export function comparisons(cells: readonly CellResult[], extra: ReadonlyMap<CellResult, number> = new Map()): BudgetComparison[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) {
    if (c.model === 'open') continue;
    const key = `${c.workload}\u0000${c.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const out: BudgetComparison[] = [];
  for (const group of groups.values()) {
    const ranked = group.map((c) => ({ c, totals: cleanTotals(c) })).filter((x) => x.totals.length > 0).map((x) => ({ ...x, median: median(x.totals)! }));
    if (ranked.length < 2) continue;
    ranked.sort((a, b) => a.median - b.median);
    const [a, b] = [ranked[0]!, ranked[1]!];
    out.push({
      workload: a.c.workload,
      clients: a.c.clients,
      designs: [a.c.design, b.c.design],
      separated: compareRuns(a.totals, b.totals).verdict !== 'tie',
      noisy: group.some((c) => c.runs.some((r) => r.noise?.noisy === true)),
      extraRuns: (extra.get(a.c) ?? 0) + (extra.get(b.c) ?? 0),
    });
  }
  return out;
}

/** The cells that should get one more run each now: both cells of every pair not yet separated, not noisy, under the cap. */
export function cellsToRerun(cells: readonly CellResult[]): CellResult[][] {
  return comparisons(cells)
    .filter((x) => !x.separated && !x.noisy)
    .map((x) => x.designs.map((d) => cells.find((c) => c.design === d && c.workload === x.workload && c.clients === x.clients && c.model !== 'open')!))
    .filter((pair) => pair.every((c) => c.runs.length < MAX_RUNS_PER_CELL));
}

export interface ExtraRunHooks {
  /** Estimated ms of one more run of the cell (the ETA's estimate × what it has learned). */
  costMs(cell: CellResult): number;
  /** Budget left, ms. */
  timeLeftMs(): number;
  aborted(): boolean;
  /** Runs the cell once more (appends to cell.runs, or not when its server did not start). */
  runOnce(cell: CellResult): Promise<void>;
}

/**
 * Spends the time left: rounds over the pairs not yet separated, one more run of both cells of a pair
 * whose estimate fits what is left, until every pair is separated, capped, or nothing more fits. A cell
 * is tried at most MAX_RUNS_PER_CELL times, so a cell whose server keeps failing cannot loop.
 */
export async function spendExtraRuns(cells: readonly CellResult[], hooks: ExtraRunHooks): Promise<void> {
  const attempts = new Map<CellResult, number>();
  for (let pairs = cellsToRerun(cells); pairs.length > 0 && !hooks.aborted(); pairs = cellsToRerun(cells)) {
    let ran = false;
    for (const pair of pairs.filter((x) => x.every((c) => (attempts.get(c) ?? 0) < MAX_RUNS_PER_CELL))) {
      if (hooks.aborted() || pair.reduce((a, c) => a + hooks.costMs(c), 0) > hooks.timeLeftMs()) continue;
      for (const c of pair) {
        attempts.set(c, (attempts.get(c) ?? 0) + 1);
        await hooks.runOnce(c);
      }
      ran = true;
    }
    if (!ran) break;
  }
}

/** The budget record with the runs added after the plan counted and every pair's verdict. */
export function finishBudget(budget: SweepBudget, cells: readonly CellResult[], planned: number): SweepBudget {
  const extra = new Map(cells.map((c) => [c, Math.max(0, c.runs.length - planned)] as const));
  return { ...budget, extraRuns: [...extra.values()].reduce((a, n) => a + n, 0), comparisons: comparisons(cells, extra) };
}
