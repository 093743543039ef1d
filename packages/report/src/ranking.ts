import type { DesignLabel } from '@socketlab/results';
import { compareCells, type CellStats, type WorkloadAnalysis } from './analysis.ts';

/**
 * A full ranking at one N by the report's comparison rule (COMPARISON_RULE), in tied groups: the design
 * with the lowest median leads the first group, and every design the rule cannot separate from it (not
 * "faster") joins that group; the next lowest median left leads the second group; and so on. The first
 * group is the "Fastest" of the Summary (one design alone, or "no clear winner" and its ties). Ranks are
 * competition ranks: 1, =2, =2, 4. An N with a noisy run is withheld, as everywhere in the report.
 */
export interface RankedCell {
  readonly design: DesignLabel;
  /** 1 = fastest; null when the N is withheld (a noisy run) or the cell has no median. */
  readonly rank: number | null;
  /** More than one design holds this rank. */
  readonly tied: boolean;
  readonly noisy: boolean;
}

export interface RankingAtN {
  readonly clients: number;
  /** A cell at this N has a noisy run: no ranks. */
  readonly withheld: boolean;
  readonly cells: readonly RankedCell[];
}

/** The ranking of every design at N (see RankedCell), or null when no design has a median there. */
export function rankingAt(w: WorkloadAnalysis, n: number): RankingAtN | null {
  const cells = w.designs.map((d) => d.cells.find((c) => c.clients === n)).filter((c): c is CellStats => c !== undefined);
  const timed = cells.filter((c) => c.medianTotalMs !== null).sort((x, y) => x.medianTotalMs! - y.medianTotalMs!);
  if (timed.length === 0) return null;
  const withheld = cells.some((c) => c.noisy);
  const rank = new Map<DesignLabel, { rank: number; tied: boolean }>();
  if (!withheld) {
    let left = timed;
    while (left.length > 0) {
      const leader = left[0]!;
      const group = left.filter((c) => c === leader || compareCells(leader, c).verdict !== 'faster');
      const r = timed.length - left.length + 1;
      for (const c of group) rank.set(c.design, { rank: r, tied: group.length > 1 });
      left = left.filter((c) => !group.includes(c));
    }
  }
  return {
    clients: n,
    withheld,
    cells: cells.map((c) => ({ design: c.design, rank: rank.get(c.design)?.rank ?? null, tied: rank.get(c.design)?.tied ?? false, noisy: c.noisy })),
  };
}

/** The ranking at every N the workload swept. */
export function rankings(w: WorkloadAnalysis, clients: readonly number[]): RankingAtN[] {
  return clients.map((n) => rankingAt(w, n)).filter((r): r is RankingAtN => r !== null);
}
