import type { Analysis, WorkloadAnalysis } from '../analysis.ts';
import { code, list, md, ratio, seconds3 } from '../format.ts';
import { LESSON_CLIENTS, LESSON_SERIES, LESSON_SOURCE, LESSON_TASK, LESSON_TASK_MS, idealTotalMs, lessonMedianMs, lessonSeriesFor } from '../lesson-data.ts';
import { table } from './table.ts';

/**
 * The lesson's published medians beside socketlab's, per N, for a workload that sends exactly the
 * lesson's task (SLEEP 3000, one per client: timeScale 1). At any other time scale nothing is shown,
 * only why: scaling the lesson's totals would need a model of which part of each total is task time
 * (N × 3 s for the iterative server, about 3 s for the others) and which is overhead, and the
 * comparison would then show that model as much as the data. At timeScale 1 nothing is scaled.
 */

/** How a workload relates to the lesson's benchmark. */
export type LessonMatch =
  | { readonly kind: 'same' }
  /** A workload of the lesson's kind (one SLEEP per client) at another size: not compared, and the reader is told why. */
  | { readonly kind: 'scaled'; readonly why: string; readonly taskMs: number | null }
  | { readonly kind: 'other' };

/** Whether workload `w` of this sweep is the lesson's benchmark (see LessonMatch). */
export function lessonMatch(a: Analysis, w: WorkloadAnalysis): LessonMatch {
  const tasks = w.workload.tasks;
  const lessonDesigns = w.designs.filter((d) => lessonSeriesFor(d.design) !== null);
  const oneSleep = tasks.length === 1 && /^SLEEP \d+$/.test(tasks[0]!);
  if (!oneSleep || lessonDesigns.length === 0) return { kind: 'other' };
  const tpc = a.dataset.tasksPerClient;
  if (tasks[0] === LESSON_TASK && tpc === 1) return { kind: 'same' };
  // The closed-model inputs' scales: an open-model input beside them has no say in this workload's tasks here.
  const scales = [...new Set(a.dataset.inputs.filter((i) => i.results.config.model !== 'open').map((i) => i.results.config.timeScale))];
  const why: string[] = [];
  if (tasks[0] !== LESSON_TASK) why.push(`its task is ${code(tasks[0]!)} (timeScale ${scales.join(' and ')}), not the lesson's ${code(LESSON_TASK)}`);
  if (tpc !== 1) why.push(`each client sends ${tpc} tasks, not one`);
  const taskMs = tpc === 1 ? Number(tasks[0]!.slice('SLEEP '.length)) : null;
  return { kind: 'scaled', why: list(why), taskMs };
}

/** The subsection of workload `w`: the tables beside the lesson's numbers, or why there are none; empty for other workloads. */
export function lessonComparisonSection(a: Analysis, w: WorkloadAnalysis): string[] {
  const match = lessonMatch(a, w);
  if (match.kind === 'other') return [];
  const heading = `### Beside the lesson's published numbers (${w.workload.name})`;
  if (match.kind === 'scaled') {
    const out = [
      heading,
      '',
      `The lesson's published medians, from ${LESSON_SOURCE}, are for one ${code(LESSON_TASK)} per client at N = ${LESSON_CLIENTS[0]}–${LESSON_CLIENTS[LESSON_CLIENTS.length - 1]}; its totals are not shown beside this workload: ${match.why}. Scaling the lesson's totals would scale their task time but not their per-client overhead, which a total does not separate, so totals are compared only for a sweep at timeScale 1 (\`--preset seed\`).`,
      '',
    ];
    if (match.taskMs !== null) out.push(...overheadTables(w, match.taskMs));
    return out;
  }
  const modes = [...new Set(a.dataset.inputs.map((i) => i.results.config.clientMode))];
  const out: string[] = [
    heading,
    '',
    `This workload is the lesson's benchmark: one ${code(LESSON_TASK)} per client, at timeScale 1, so ${LESSON_SOURCE} can be read beside it, unscaled. The lesson's figure per N is the median of its runs (its single-process server: the one value it printed). The ratio is socketlab's median ÷ the lesson's: below 1 socketlab's server finished sooner. The lesson ran Python servers on its own machine, with one client process per client${modes.includes('workers') ? '; this sweep\'s clients were connections spread over a few loadgen processes (client mode `workers`), which starts faster than a process per client' : ''}, so the ratios compare whole set-ups, not only the designs.`,
    '',
  ];
  for (const series of LESSON_SERIES) {
    const designs = w.designs.filter((d) => (series.designs as readonly string[]).includes(d.design));
    if (designs.length === 0) continue;
    const ns = LESSON_CLIENTS.filter((n) => designs.some((d) => d.cells.some((c) => c.clients === n && c.medianTotalMs !== null)));
    if (ns.length === 0) continue;
    const head = ['N', `lesson: ${series.heading} (s)`, ...designs.flatMap((d) => [`${d.design} (s)`, `${d.design} ÷ lesson`])];
    const rows = ns.map((n) => {
      const lesson = lessonMedianMs(series, n)!;
      return [
        String(n),
        seconds3(lesson),
        ...designs.flatMap((d) => {
          const m = d.cells.find((c) => c.clients === n)?.medianTotalMs ?? null;
          return m === null ? ['–', '–'] : [seconds3(m), ratio(m / lesson, 3)];
        }),
      ];
    });
    const warm = designs.filter((d) => d.design.endsWith('-warm')).map((d) => d.design);
    out.push(
      `**${md(series.heading)}** (the lesson's ${series.lines}${series.runsS.length > 1 ? `, median of its ${series.runsS.length} runs` : ''}) beside ${list(designs.map((d) => d.design))}${warm.length ? ` (${list(warm)} starts its executors ahead, which the lesson's server did not: same lesson column)` : ''}:`,
      '',
      ...table(head, head.map((_, i) => (i === 0 ? 'r' : 'r')), rows),
    );
  }
  return out;
}

/**
 * For one SLEEP per client at another size: the time beyond the ideal (N task times for the serial
 * server, one task time for the others) per N, the lesson's published runs beside this sweep's designs.
 * That part of a total is overhead that does not scale with the task time (connecting, starting a process
 * or thread per client), so it can be set beside the lesson's, under that stated model: a design whose
 * tasks do not overlap as the model assumes shows it as a growing excess.
 */
function overheadTables(w: WorkloadAnalysis, taskMs: number): string[] {
  const out: string[] = [];
  for (const series of LESSON_SERIES) {
    const designs = w.designs.filter((d) => (series.designs as readonly string[]).includes(d.design));
    if (designs.length === 0) continue;
    const ns = LESSON_CLIENTS.filter((n) => designs.some((d) => d.cells.some((c) => c.clients === n && c.medianTotalMs !== null)));
    if (ns.length === 0) continue;
    const head = ['N', `lesson: ${series.heading} (ms)`, ...designs.map((d) => `${d.design} (ms)`)];
    const rows = ns.map((n) => {
      const lesson = lessonMedianMs(series, n)! - idealTotalMs(series, n, LESSON_TASK_MS);
      return [
        String(n),
        lesson.toFixed(0),
        ...designs.map((d) => {
          const m = d.cells.find((c) => c.clients === n)?.medianTotalMs ?? null;
          return m === null ? '–' : (m - idealTotalMs(series, n, taskMs)).toFixed(0);
        }),
      ];
    });
    if (out.length === 0) {
      out.push(
        `What *can* be set beside the lesson is the time beyond the ideal: the median total minus N task times for the serial (single-process) server, minus one task time for the concurrent ones (N × ${taskMs} ms or ${taskMs} ms here, N × ${LESSON_TASK_MS} ms or ${LESSON_TASK_MS} ms in the lesson). It is the cost of connecting and of starting a process or thread per client, which does not grow with the task; the lesson's column is computed the same way from its published medians. This is a model, stated: where tasks do not overlap as assumed it shows as excess growing with N. Designs named \`lesson-*\` are the lesson's servers re-created in Python (examples/lesson-python), measured here in the same sweep.`,
        '',
      );
    }
    out.push(`**${md(series.heading)}**, time beyond the ideal (ms):`, '', ...table(head, head.map(() => 'r'), rows), '');
  }
  return out;
}
