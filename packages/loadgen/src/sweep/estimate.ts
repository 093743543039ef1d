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
