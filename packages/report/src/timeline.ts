import type { DesignLabel } from '@socketlab/results';
import type { Analysis, WorkloadAnalysis } from './analysis.ts';
import { median } from '@socketlab/results';

/**
 * The lesson's best pictures were its logs (figures 1–4): one client served, the others waiting, then
 * the next. The timeline draws that from a run's data: one row per client of the cell's median run, from
 * what loadgen records per client (ms since the release): when it connected, when its reply came, when
 * its `Goodbye!` came.
 *
 * The server does not say when it *started* serving a client, so the start of service is inferred: the
 * reply time minus the task's time (its nominal time; for FIB the estimate), never before the connect.
 * Waiting is then "connected, not yet served": the listen backlog of the iterative server, a pool's
 * queue, and for the per-connection designs the start-up of the client's own process or thread. This
 * holds for one task per client; with more, only the first reply is recorded, and no timeline is drawn.
 */

/** One bar of the timeline: a phase of one client's life, ms since the release. */
export interface TimelineBar {
  readonly design: DesignLabel;
  /** The client's place in the run: 1 = served first (by reply time). */
  readonly order: number;
  readonly phase: TimelinePhase;
  readonly fromMs: number;
  readonly toMs: number;
}

export const TIMELINE_PHASES = ['connecting', 'waiting', 'service', 'goodbye'] as const;
export type TimelinePhase = (typeof TIMELINE_PHASES)[number];

/** At most this many clients are drawn per design (one row each). */
export const TIMELINE_MAX_CLIENTS = 50;

/** The N the timeline is drawn at: the smallest swept N of at least 10 (the lesson's first), else the largest; null if above TIMELINE_MAX_CLIENTS. */
export function timelineClients(clients: readonly number[]): number | null {
  const n = clients.find((c) => c >= 10) ?? clients[clients.length - 1];
  return n === undefined || n > TIMELINE_MAX_CLIENTS ? null : n;
}

/** Why there is no timeline for this workload, or null when there is one. */
export function timelineMissing(a: Analysis): string | null {
  if (a.dataset.tasksPerClient !== 1) return `each client sent ${a.dataset.tasksPerClient} tasks, and loadgen records only the first reply per client`;
  if (timelineClients(a.dataset.clients) === null) return `every N swept is above ${TIMELINE_MAX_CLIENTS}, too many rows to read`;
  return null;
}

/** The bars of every design's median run at N (`timelineClients`), or [] when there is no timeline. */
export function timelineBars(a: Analysis, w: WorkloadAnalysis): TimelineBar[] {
  const n = timelineClients(a.dataset.clients);
  if (n === null || timelineMissing(a) !== null) return [];
  const taskMs = w.workload.fibEstimatedMs ?? w.workload.taskMs;
  const bars: TimelineBar[] = [];
  for (const d of w.designs) {
    const cell = a.dataset.cells.find((c) => c.workload === w.workload.name && c.design === d.design && c.clients === n);
    const runs = (cell?.runs ?? []).map((s) => s.run).filter((r) => r.complete && r.totalMs !== null);
    if (runs.length === 0) continue;
    // The median run (the lower middle one for an even count): a typical run, not a mixture of runs.
    const m = median(runs.map((r) => r.totalMs!)) ?? 0;
    const run = runs.reduce((best, r) => (Math.abs(r.totalMs! - m) < Math.abs(best.totalMs! - m) ? r : best));
    const c = run.clients;
    const clients = c.connectMs.map((connect, i) => ({ connect, reply: c.firstReplyMs[i] ?? null, done: c.completionMs[i] ?? null }))
      .filter((x): x is { connect: number; reply: number; done: number } => x.connect !== null && x.reply !== null && x.done !== null)
      .sort((x, y) => x.reply - y.reply || x.connect - y.connect);
    clients.forEach((x, i) => {
      const start = Math.max(x.connect, x.reply - taskMs);
      const push = (phase: TimelinePhase, fromMs: number, toMs: number) => {
        if (toMs > fromMs) bars.push({ design: d.design, order: i + 1, phase, fromMs: round3(fromMs), toMs: round3(toMs) });
      };
      push('connecting', 0, x.connect);
      push('waiting', x.connect, start);
      push('service', start, x.reply);
      push('goodbye', x.reply, x.done);
    });
  }
  return bars;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
