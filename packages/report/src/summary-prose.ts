import { DESIGNS, isPool, type DesignLabel, type DesignName } from '@socketlab/results';
import { BASELINE_DESIGN, compareCells, type CellStats, type FastestSegment, type WorkloadAnalysis } from './analysis.ts';
import { duration, list, num, times } from './format.ts';
import { taskCpuMs } from './prose.ts';

// The Summary's sentences about one workload: who is fastest, the slope, start-up, speed-up (prose.ts
// holds the per-design ones).

/**
 * The fastest design at each N, only where the comparison rule (@socketlab/results, compare-rule.ts) says so: ties and noisy
 * cells are named as such, and no design is ranked there.
 */
export function fastestSentence(w: WorkloadAnalysis): string | null {
  if (w.fastest.length === 0) return null;
  // "Fastest" of one is no finding (a sweep of one --target, a merged sharded run).
  if (w.designs.length < 2) return `Only **${w.designs[0]?.design ?? w.fastest[0]!.design}** was swept: nothing to rank it against.`;
  const range = (s: { fromN: number; toN: number }) => (s.fromN === s.toN ? `N = ${s.fromN}` : `N = ${s.fromN}–${s.toN}`);
  const decided = w.fastest.filter((s) => s.design !== null);
  // Neighbouring segments (next to each other in w.fastest, so in the swept N) read as one range.
  const ns = (segments: readonly FastestSegment[]) => {
    const merged: { fromN: number; toN: number; at: number }[] = [];
    for (const s of [...segments].sort((x, y) => x.fromN - y.fromN)) {
      const at = w.fastest.indexOf(s);
      const prev = merged[merged.length - 1];
      if (prev && prev.at === at - 1) merged[merged.length - 1] = { ...prev, toN: s.toN, at };
      else merged.push({ fromN: s.fromN, toN: s.toN, at });
    }
    return merged.map((s) => range(s).replace(/^N = /, '')).join(', ');
  };
  // One clause per outcome (a design, the ties, the withheld N), never one per N: the N go in parentheses,
  // and the designs each tie lists are in the ranking table at the top.
  const winners = [...new Set(decided.map((s) => s.design!))];
  const ties = w.fastest.filter((s) => s.design === null && s.why === 'tie');
  const withheld = w.fastest.filter((s) => s.why === 'noisy');
  const designParts = winners.map((d) => `**${d}** (N = ${ns(decided.filter((s) => s.design === d))})`);
  const others = decided.filter((s) => s.design !== winners[0]);
  const budget = 3 - (ties.length ? 1 : 0) - (withheld.length ? 1 : 0);
  // Too many outcomes for three clauses: the first winner by name, the rest together.
  const merge = designParts.length > budget;
  const shown = !merge ? designParts : budget >= 2 ? [designParts[0]!, `other designs (N = ${ns(others)})`] : [designParts[0]!];
  const otherParts = [
    ...(ties.length ? [`${merge && budget < 2 ? 'another design or ' : ''}no clear winner (N = ${ns(merge && budget < 2 ? [...ties, ...others].sort((x, y) => x.fromN - y.fromN) : ties)})`] : []),
    ...(withheld.length ? [`withheld for noisy runs (N = ${ns(withheld)})`] : []),
  ];
  const lead = decided.length === w.fastest.length && w.fastest.length === 1
    ? `**${w.fastest[0]!.design}** is the fastest at every N swept (faster than every other design by the comparison rule).`
    : decided.length === 0 && w.fastest.length === 1
      ? w.fastest[0]!.why === 'noisy'
        ? 'No design is ranked fastest: rankings withheld (noisy runs) at every N swept.'
        : `No design is ranked fastest: no clear winner (${list(w.fastest[0]!.tied)} tie) at every N swept.`
      : `Fastest by the comparison rule: ${list([...shown, ...otherParts])}.`;
  if (w.compareN === null) return lead;
  const n = w.compareN;
  const cells = w.designs
    .map((d) => d.cells.find((c) => c.clients === n))
    .filter((c): c is CellStats => c !== undefined && c.medianTotalMs !== null)
    .sort((x, y) => x.medianTotalMs! - y.medianTotalMs!);
  if (cells.length < 2) return lead;
  const [best, second] = [cells[0]!, cells[1]!];
  const verdict = compareCells(best, second).verdict;
  const how = verdict === 'faster'
    ? `${times(second.medianTotalMs! / best.medianTotalMs!)} faster than the runner-up, ${second.design} (${duration(second.medianTotalMs!)})`
    : `tied with ${second.design} (${duration(second.medianTotalMs!)}) by the comparison rule, though its median is lower`;
  const noisy = best.noisy || second.noisy ? ' (noisy runs: read with care)' : '';
  return `${lead} At N = ${n} the lowest median is ${best.design}'s (${duration(best.medianTotalMs!)}): ${how}${noisy}.`;
}

/** Steepest and flattest marginal cost. */
export function slopeSentence(w: WorkloadAnalysis): string | null {
  const fitted = w.designs.filter((d) => d.fit !== null).sort((x, y) => x.fit!.slope - y.fit!.slope);
  if (fitted.length < 2) return null;
  const flat = fitted[0]!;
  const steep = fitted[fitted.length - 1]!;
  return `Marginal cost per extra client (slope of the least-squares line through the medians): from ${num(flat.fit!.slope)} ms (${flat.design}) to ${num(steep.fit!.slope)} ms (${steep.design}).`;
}


/** Process vs thread start-up, from the server's CPU per extra client beyond what the tasks need. */
export function startupSentence(w: WorkloadAnalysis, tasksPerClient: number): string | null {
  const task = taskCpuMs(w, tasksPerClient);
  const slope = (name: DesignLabel) => {
    const s = w.designs.find((d) => d.design === name)?.cpuFit?.slope;
    return s === undefined ? null : s - task;
  };
  const mp = slope('mp-per-connection');
  const mt = slope('mt-per-connection');
  if (mp === null || mt === null || mp <= 0 || mt <= 0) return null;
  const beyond = task > 0 ? ` beyond the ${num(task)} ms of CPU its tasks need` : '';
  const pools = DESIGNS.filter(isPool).map((p) => ({ p, s: slope(p) })).filter((x): x is { p: DesignName; s: number } => x.s !== null);
  const poolText = pools.length ? ` The pools start their workers once, so each extra client costs them only ${list(pools.map((x) => `${num(x.s)} ms (${x.p})`))}.` : '';
  return `Start-up cost, read from the server's CPU per extra client${beyond}: ${num(mp)} ms with a process per connection, ${num(mt)} ms with a thread per connection (${times(mp / mt)} as much for a process).${poolText}`;
}

/** Speed-ups over the iterative server at the largest common N. */
export function speedUpSentence(w: WorkloadAnalysis): string | null {
  if (w.compareN === null || !w.designs.some((d) => d.design === BASELINE_DESIGN)) return null;
  const n = w.compareN;
  const items = w.designs
    .filter((d) => d.design !== BASELINE_DESIGN)
    .map((d) => ({ design: d.design, v: d.speedUp.find((s) => s.clients === n)?.value ?? null }))
    .filter((x): x is { design: DesignLabel; v: number } => x.v !== null);
  if (items.length === 0) return null;
  return `Speed-up over ${BASELINE_DESIGN} at N = ${n} (its median ÷ the design's): ${list(items.map((x) => `${x.design} ${speedUpText(x.v)}`))}.`;
}

/** A speed-up as a reader takes it: `2.4×`, or `7.0× slower` below 1 (never "0.1×"). */
export function speedUpText(v: number): string {
  return v >= 1 ? times(v) : `${times(1 / v)} slower`;
}
