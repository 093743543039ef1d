import type { Analysis, DesignAnalysis, Lane, WorkloadAnalysis } from '../analysis.ts';
import { duration, md, num, times } from '../format.ts';
import { rankings, type RankingAtN } from '../ranking.ts';
import { table } from './table.ts';

/**
 * The first screen: one compact ranking table (designs × N, tied groups, noisy cells marked) and three
 * to five sentences on why the winners win, before any detail. Each sentence holds at most three
 * clauses (test/first-screen.test.ts). Empty when there is nothing to rank: no closed-model workload, or
 * one design only.
 */
export function firstScreen(a: Analysis): string[] {
  const ranked = a.workloads.filter((w) => w.designs.length >= 2);
  if (ranked.length === 0) return [];
  const byWorkload = ranked.map((w) => ({ w, r: rankings(w, a.dataset.clients) }));
  return [
    'Rank at each N by the report\'s comparison rule (1 the fastest, `=` a tied group, `–` withheld where a run was `noisy`):',
    '',
    ...rankingTable(byWorkload, a.dataset.clients),
    whySentences(byWorkload).join(' '),
    '',
  ];
}

type Ranked = { readonly w: WorkloadAnalysis; readonly r: readonly RankingAtN[] };

function rankText(r: RankingAtN, design: string): string {
  const c = r.cells.find((x) => x.design === design);
  if (c === undefined) return '';
  if (r.withheld) return c.noisy ? 'noisy' : '–';
  if (c.rank === null) return '–';
  return c.tied ? `=${c.rank}` : c.rank === 1 ? '**1**' : String(c.rank);
}

/** The rank a design holds at the largest ranked N (for the row order: winners first). */
function lastRank(r: readonly RankingAtN[], design: string): number {
  const last = [...r].reverse().find((x) => !x.withheld);
  return last?.cells.find((c) => c.design === design)?.rank ?? Number.MAX_SAFE_INTEGER;
}

function medianAt(d: DesignAnalysis, n: number): number {
  return d.cells.find((c) => c.clients === n)?.medianTotalMs ?? Number.MAX_VALUE;
}

function rankingTable(byWorkload: readonly Ranked[], clients: readonly number[]): string[] {
  const several = byWorkload.length > 1;
  const maxN = clients[clients.length - 1]!;
  const head = [...(several ? ['workload'] : []), 'design', ...clients.map((n, i) => (i === 0 ? `N = ${n}` : String(n))), `median, N = ${maxN}`];
  const rows = byWorkload.flatMap(({ w, r }) =>
    [...w.designs]
      .sort((x, y) => lastRank(r, x.design) - lastRank(r, y.design) || medianAt(x, maxN) - medianAt(y, maxN))
      .map((d) => {
        const median = d.cells.find((c) => c.clients === maxN)?.medianTotalMs ?? null;
        const cols = clients.map((n) => {
          const at = r.find((x) => x.clients === n);
          return at === undefined ? '' : rankText(at, d.design);
        });
        return [...(several ? [md(w.workload.name)] : []), md(d.design), ...cols, median === null ? '–' : duration(median)];
      }),
  );
  return table(head, [...(several ? ['l' as const] : []), 'l', ...clients.map(() => 'r' as const), 'r'], rows);
}

/** How often each design is first: alone, or in the tied first group. */
function firsts(w: WorkloadAnalysis, r: readonly RankingAtN[]) {
  return w.designs.map((d) => {
    const first = r.map((x) => x.cells.find((c) => c.design === d.design)).filter((c) => c?.rank === 1);
    return { d, alone: first.filter((c) => !c!.tied).length, tied: first.filter((c) => c!.tied).length };
  }).sort((x, y) => y.alone - x.alone || y.tied - x.tied);
}

function lanesText(lanes: readonly Lane[]): string {
  const l = lanes[0];
  if (l === undefined) return '';
  const kind = l.kind === 'cpu' ? 'CPU' : l.kind === 'blocking' ? 'blocking' : l.kind === 'async' ? 'non-blocking' : 'instant';
  return Number.isFinite(l.lanes) ? ` for ${kind} tasks ${l.lanes} at a time` : ` for ${kind} tasks all at once`;
}

/** Why the winners win: two sentences per workload (at most two workloads), a third for a lone workload. */
function whySentences(byWorkload: readonly Ranked[]): string[] {
  const out: string[] = [];
  for (const { w, r } of byWorkload.slice(0, 2)) {
    const name = md(w.workload.name);
    const ranked = r.filter((x) => !x.withheld).length;
    if (ranked === 0) {
      out.push(`In ${name} every N had a noisy run, so no design is ranked.`, 'Rerun the sweep on a quiet machine for a ranking.');
      continue;
    }
    const [top] = firsts(w, r);
    const d = top!.d;
    out.push(top!.alone > 0
      ? `In ${name}, **${md(d.design)}** ranks first alone at ${top!.alone} of ${ranked} N${top!.tied > 0 ? ` and is tied first at ${top!.tied} more` : ''}.`
      : `In ${name} no design ranks first alone: **${md(d.design)}** is in the tied first group at ${top!.tied} of ${ranked} N.`);
    out.push(costSentence(w, d));
  }
  if (byWorkload.length === 1) out.push(slowestSentence(byWorkload[0]!.w));
  return out;
}

/** The winner's marginal cost against the model's prediction and the steepest design's. */
function costSentence(w: WorkloadAnalysis, d: DesignAnalysis): string {
  const steep = [...w.designs].filter((x) => x.fit !== null).sort((x, y) => y.fit!.slope - x.fit!.slope)[0];
  if (d.fit === null || steep === undefined) return `Too few N to fit ${md(d.design)}'s cost per extra client.`;
  const model = d.model === null ? '' : ` (the cost model predicts ${num(d.model.expectedSlopeMs)} ms${lanesText(d.model.lanes)})`;
  return steep.design === d.design
    ? `Each extra client costs it ${num(d.fit.slope)} ms${model}.`
    : `Each extra client costs it ${num(d.fit.slope)} ms${model}, against ${num(steep.fit!.slope)} ms for ${md(steep.design)}.`;
}

/** The slowest design at the comparison N, as a multiple of the fastest median there. */
function slowestSentence(w: WorkloadAnalysis): string {
  const n = w.compareN;
  const cells = w.designs.map((d) => d.cells.find((c) => c.clients === n)).filter((c) => c !== undefined && c.medianTotalMs !== null && c.medianTotalMs > 0).sort((x, y) => x!.medianTotalMs! - y!.medianTotalMs!);
  if (n === null || cells.length < 2) return 'The other designs are in the table above.';
  const [best, worst] = [cells[0]!, cells[cells.length - 1]!];
  return `At N = ${n} the slowest is ${md(worst.design)} (${duration(worst.medianTotalMs!)}), ${times(worst.medianTotalMs! / best.medianTotalMs!)} the fastest median.`;
}
