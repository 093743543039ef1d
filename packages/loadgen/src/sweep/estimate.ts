import { availableParallelism } from 'node:os';
import { designOf, isPerConnection, type DesignLabel, type ResolvedSweepConfig, type WorkloadDefinition } from '@socketlab/results';

/**
 * Rough costs used only for the progress ETA, ms: a server start, the run barrier, and per-client
 * process (mp-per-connection) or thread (mt-per-connection) start on the 2-core reference machine.
 */
export const ESTIMATE = Object.freeze({ serverStartMs: 150, runOverheadMs: 30, forkPerClientMs: 40, threadPerClientMs: 16, clientProcessMs: 60 });

/** Expected duration of one run, ms: only for the ETA, so deliberately simple. */
export function estimateRunMs(design: DesignLabel, workload: WorkloadDefinition, clients: number, config: Pick<ResolvedSweepConfig, 'tasksPerClient' | 'poolSize' | 'clientMode'>): number {
  const cores = availableParallelism();
  const perClient = workload.taskMs * config.tasksPerClient;
  const cpuShare = workload.costModel === 'cpu' ? 1 : workload.costModel === 'mixed' ? 1 / 3 : 0;
  const blockShare = workload.costModel === 'blocking-io' ? 1 : workload.costModel === 'mixed' ? 1 / 3 : 0;
  const entry = designOf(design);
  let serial: number; // how many clients' work runs one after another
  if (design === 'single-iterative') serial = clients;
  else if (design === 'single-event-loop') serial = Math.max(1, clients * (cpuShare + blockShare));
  else if (entry?.pool) serial = Math.max(1, (clients * (cpuShare + blockShare)) / Math.min(config.poolSize, clients));
  else serial = Math.max(1, (clients * cpuShare) / cores);
  let overhead = ESTIMATE.runOverheadMs;
  if (isPerConnection(design)) overhead += clients * (entry!.executor === 'process' ? ESTIMATE.forkPerClientMs : ESTIMATE.threadPerClientMs);
  if (config.clientMode === 'process') overhead += (clients * ESTIMATE.clientProcessMs) / cores;
  return serial * perClient + overhead;
}

/**
 * The ETA, learned from the runs already done: each design's runs so far took `ratio` × their estimate
 * (its own ratio once it has one; the ratio over every design until then), and everything between runs
 * (server starts, quiet waits, re-runs) costs what it has cost so far per ms of run time.
 */
export class LearnedEta {
  readonly #byDesign = new Map<DesignLabel, { estimated: number; actual: number }>();
  #estimated = 0;
  #actual = 0;

  /** Records one finished run: its estimate and how long it really took (wall time, ms). */
  learn(design: DesignLabel, estimatedMs: number, actualMs: number): void {
    const d = this.#byDesign.get(design) ?? { estimated: 0, actual: 0 };
    d.estimated += estimatedMs;
    d.actual += actualMs;
    this.#byDesign.set(design, d);
    this.#estimated += estimatedMs;
    this.#actual += actualMs;
  }

  /** How far off the estimates of `design` have been (actual ÷ estimated); 1 before any run. */
  ratio(design: DesignLabel): number {
    const d = this.#byDesign.get(design);
    if (d && d.estimated > 0) return d.actual / d.estimated;
    return this.#estimated > 0 ? this.#actual / this.#estimated : 1;
  }

  /** Time left, ms, for the runs after the first `done` of `plans` × `runs` (in sweep order). */
  remainingMs(plans: readonly { design: DesignLabel; estimateMs: number }[], done: number, runs: number, elapsedMs: number): number {
    let left = 0;
    for (let k = done; k < plans.length * runs; k++) {
      const p = plans[Math.floor(k / runs)]!;
      left += p.estimateMs * this.ratio(p.design);
    }
    // Time outside the runs themselves, as a factor on run time; clamped so one slow server start does not swing it.
    const between = this.#actual > 0 ? Math.min(3, Math.max(1, elapsedMs / this.#actual)) : 1;
    return left * between;
  }
}
