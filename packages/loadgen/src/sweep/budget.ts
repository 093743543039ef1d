import { InvalidOptionError } from '@socketlab/protocol';
import { designOf, type ResolvedSweepConfig, type SweepBudget } from '@socketlab/results';
import { BudgetTooSmallError } from '../errors.ts';
import { formatDuration } from '../progress.ts';
import { ESTIMATE, estimateRunMs } from './estimate.ts';

/**
 * The time budget (--budget, budgetMs): before a sweep starts, which N of its list and how many runs per
 * cell fit, by the progress ETA's run estimates (estimate.ts). Every design and workload is kept, and the
 * smallest and largest N; interior N go first, then runs from the preset's down to 2 (never below 2, nor
 * above what was asked). Extra runs after the plan: budget-extra.ts.
 */
export interface BudgetInput {
  readonly budgetMs: number;
  /** The client counts asked for, in sweep order. */
  readonly clients: readonly number[];
  /** Runs per cell asked for. */
  readonly runs: number;
  /** Estimated cost, ms, of every design × workload at one N with `runs` runs each (server starts included). */
  readonly costMs: (clients: number, runs: number) => number;
}

export interface BudgetPlan {
  readonly clients: number[];
  readonly runs: number;
  readonly estimatedMs: number;
  readonly leftOutClients: number[];
  /** The plan in words, as printed before the first run. */
  readonly note: string;
}

/** Parses `--budget 3m`, `90s`, `1m30s`, `500ms`, `1h`; `0` or `none` = no budget (0). Returns ms. */
export function parseBudget(raw: string, flag = '--budget'): number {
  const text = raw.trim().toLowerCase();
  if (text === 'none' || /^0+$/.test(text)) return 0;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let ms = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ms|min|s|m|h)/g, (_, n: string, u: string) => {
    ms += Number(n) * units[u]!;
    return '';
  });
  if (text === '' || rest !== '' || !(ms >= 1)) throw new InvalidOptionError(`${flag} must be a duration such as 3m, 90s or 1m30s (ms, s, m, h), or 0 / none for no budget (got ${JSON.stringify(raw)})`);
  return Math.round(ms);
}

/** The interior N whose removal leaves the most even spacing (the larger N on a tie: it costs more). */
function dropOne(kept: number[]): number[] {
  const lo = Math.min(...kept);
  const hi = Math.max(...kept);
  const byValue = [...kept].sort((a, b) => a - b);
  let best = -1;
  let bestGap = Infinity;
  for (let i = 1; i < byValue.length - 1; i++) {
    const gap = byValue[i + 1]! - byValue[i - 1]!;
    if (byValue[i] === lo || byValue[i] === hi) continue;
    if (gap <= bestGap) [best, bestGap] = [byValue[i]!, gap];
  }
  return kept.filter((n) => n !== best);
}

/** Plans a sweep to fit `budgetMs` (see the file's comment). Throws BudgetTooSmallError naming --budget. */
export function planBudget(input: BudgetInput): BudgetPlan {
  const total = (clients: readonly number[], runs: number) => clients.reduce((a, n) => a + input.costMs(n, runs), 0);
  const minRuns = Math.min(input.runs, 2);
  let smallest = Infinity;
  for (let runs = input.runs; runs >= minRuns; runs--) {
    let kept = [...input.clients];
    while (total(kept, runs) > input.budgetMs && kept.length > 2) kept = dropOne(kept);
    const estimatedMs = total(kept, runs);
    smallest = Math.min(smallest, estimatedMs);
    if (estimatedMs > input.budgetMs) continue;
    const leftOutClients = input.clients.filter((n) => !kept.includes(n));
    const parts = [`budget ${formatDuration(input.budgetMs)}: planned N = ${kept.join(', ')} × ${runs} run${runs === 1 ? '' : 's'} per cell (estimate ${formatDuration(estimatedMs)})`];
    if (leftOutClients.length > 0) parts.push(`left out N = ${leftOutClients.join(', ')}`);
    if (runs < input.runs) parts.push(`runs cut from ${input.runs} to ${runs}`);
    if (leftOutClients.length === 0 && runs === input.runs) parts.push('nothing left out');
    return { clients: kept, runs, estimatedMs, leftOutClients, note: `${parts.join('; ')}; time left at the end goes to extra runs where two designs are not yet separated` };
  }
  throw new BudgetTooSmallError(
    `--budget ${formatDuration(input.budgetMs)} is too small: the smallest plan (every design and workload, N = ${Math.min(...input.clients)} and ${Math.max(...input.clients)}, ${minRuns} run${minRuns === 1 ? '' : 's'}) needs about ${formatDuration(smallest)}; give more, fewer designs or workloads, or --budget 0 for no budget`,
  );
}

/** Estimated cost of one run of design × workload × N beyond the run itself: its quiet window. */
function runExtraMs(cfg: ResolvedSweepConfig): number {
  return (cfg.quietWaitMs ?? 0) > 0 ? (cfg.quietWindowMs ?? 0) : 0;
}

/** Estimated ms of one more run of a cell, a server start included when the run needs its own. */
export function oneRunMs(cfg: ResolvedSweepConfig, design: string, workloadIndex: number, clients: number, freshServer: boolean): number {
  const w = cfg.workloads[workloadIndex]!;
  return estimateRunMs(design, w, clients, cfg) + runExtraMs(cfg) + (freshServer && design !== 'external' ? ESTIMATE.serverStartMs : 0);
}

/** The plan of a resolved closed-model config with a budget (the ETA's estimates); null without one. */
export function planSweepBudget(cfg: ResolvedSweepConfig, sharded: boolean): BudgetPlan | null {
  if (!cfg.budgetMs) return null;
  if (cfg.model === 'open') throw new InvalidOptionError('budgetMs (--budget) applies to the closed model only; give --budget 0 with the open model');
  if (sharded) throw new InvalidOptionError('budgetMs (--budget) does not apply to sharded sweeps (the shards must run the same cells); give --budget 0');
  const perRun = (design: string) => cfg.serverLifecycle === 'run' || designOf(design)?.recycled === true;
  return planBudget({
    budgetMs: cfg.budgetMs,
    clients: cfg.clients,
    runs: cfg.runs,
    costMs: (n, runs) =>
      cfg.designs.reduce((a, design) => a + cfg.workloads.reduce((b, _w, i) => b + runs * oneRunMs(cfg, design, i, n, perRun(design)) + (perRun(design) || design === 'external' ? 0 : ESTIMATE.serverStartMs), 0), 0),
  });
}

/** The `budget` record of the results, before extra runs. */
export function budgetRecord(cfg: ResolvedSweepConfig, plan: BudgetPlan, requested: { clients: readonly number[]; runs: number }): SweepBudget {
  return { budgetMs: cfg.budgetMs!, estimatedMs: Math.round(plan.estimatedMs), requestedClients: [...requested.clients], requestedRuns: requested.runs, leftOutClients: plan.leftOutClients, note: plan.note, extraRuns: 0, comparisons: [] };
}
