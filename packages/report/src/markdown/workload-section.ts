import { BASELINE_DESIGN, type Analysis, type CellStats, type DesignAnalysis, type WorkloadAnalysis } from '../analysis.ts';
import type { ChartDefinition, WorkloadCharts } from '../charts.ts';
import { code, list, md, mib, num, r2, seconds3 } from '../format.ts';
import { costModelSentence, designProse } from '../prose.ts';
import { speedUpText, fastestSentence, slopeSentence, speedUpSentence, startupSentence } from '../summary-prose.ts';
import { lessonComparisonSection } from './lesson-comparison.ts';
import { lessonMedians, lessonRuns } from './lesson.ts';
import { table } from './table.ts';
import { timelineClients, timelineMissing } from '../timeline.ts';

function image(c: ChartDefinition | null): string[] {
  return c ? [`![${md(c.alt)}](${c.name}.svg)`, ''] : [];
}

function cellAt(d: DesignAnalysis, n: number): CellStats | undefined {
  return d.cells.find((c) => c.clients === n);
}

function mediansTable(a: Analysis, w: WorkloadAnalysis): string[] {
  const head = ['N', ...w.designs.map((d) => d.design)];
  const rows = a.dataset.clients.map((n) => [
    String(n),
    ...w.designs.map((d) => {
      const m = cellAt(d, n)?.medianTotalMs ?? null;
      return m === null ? '–' : seconds3(m);
    }),
  ]);
  return table(head, head.map((_, i) => (i === 0 ? 'r' : 'r')), rows);
}

function fitsTable(a: Analysis, w: WorkloadAnalysis): string[] {
  const hasBase = w.designs.some((d) => d.design === BASELINE_DESIGN);
  const n = w.compareN;
  const head = ['design', 'marginal cost (ms per client)', 'intercept (ms)', 'R²', 'predicted (ms per client)', 'elasticity', `knee (elasticity ≥ ${a.kneeElasticity})`];
  if (hasBase && n !== null) head.push(`speed-up at N = ${n}`);
  const rows = w.designs.map((d) => {
    const row = [
      d.design,
      d.fit ? num(d.fit.slope) : '–',
      d.fit ? num(d.fit.intercept) : '–',
      d.fit ? r2(d.fit.r2) : '–',
      d.model ? num(d.model.expectedSlopeMs) : '–',
      d.scaling?.elasticity == null ? '–' : `${d.scaling.elasticity.toFixed(2)} (${d.scaling.kind})`,
      d.scaling === null ? '–' : d.scaling.kneeN === null ? 'none' : `N = ${d.scaling.kneeN}`,
    ];
    if (hasBase && n !== null) {
      const s = d.speedUp.find((x) => x.clients === n);
      row.push(s ? speedUpText(s.value) : '–');
    }
    return row;
  });
  return table(head, head.map((_, i) => (i === 0 ? 'l' : 'r')), rows);
}

function latencyTable(w: WorkloadAnalysis): string[] {
  const n = w.compareN;
  if (n === null) return [];
  const rows = w.designs.flatMap((d) => {
    const l = cellAt(d, n)?.latency;
    return l ? [[d.design, num(l.p50Ms), num(l.p90Ms), num(l.p99Ms), num(l.maxMs), String(l.count)]] : [];
  });
  if (rows.length === 0) return [];
  return [`Task latency at N = ${n}, all runs' tasks together (ms):`, '', ...table(['design', 'p50', 'p90', 'p99', 'max', 'tasks'], ['l', 'r', 'r', 'r', 'r', 'r'], rows)];
}

function serverTable(w: WorkloadAnalysis): string[] {
  const n = w.compareN;
  if (n === null) return [];
  const rows = w.designs.flatMap((d) => {
    const c = cellAt(d, n);
    if (!c || (c.medianServerCpuMs === null && c.medianServerPeakRssBytes === null)) return [];
    return [[
      d.design,
      c.medianServerCpuMs === null ? '–' : num(c.medianServerCpuMs),
      d.cpuFit ? num(d.cpuFit.slope) : '–',
      c.medianServerPeakRssBytes === null ? '–' : mib(c.medianServerPeakRssBytes).replace(' MiB', ''),
    ]];
  });
  if (rows.length === 0) return [];
  return [
    `Server resources at N = ${n} (medians over the runs) and the server's CPU per extra client (slope of its median CPU vs N):`,
    '',
    ...table(['design', 'CPU per run (ms)', 'CPU per extra client (ms)', 'peak RSS (MiB)'], ['l', 'r', 'r', 'r'], rows),
  ];
}

/** The section of one workload: its curves, fits, prose, the lesson's tables, latency and server resources. */
export function workloadSection(a: Analysis, w: WorkloadAnalysis, charts: WorkloadCharts | undefined): string[] {
  const wl = w.workload;
  const out: string[] = [
    `## Workload: ${wl.name}`,
    '',
    `Each client sends ${a.dataset.tasksPerClient === 1 ? 'one task' : `${a.dataset.tasksPerClient} tasks, one after another,`} (${list(wl.tasks.map((t) => code(t)))}) and then ${code('EXIT')}; a run's total time runs from the release of all N clients to the last client's ${code('Goodbye!')}.`,
    '',
    costModelSentence(a, w),
    '',
    `### All designs (${wl.name})`,
    '',
    ...[fastestSentence(w), slopeSentence(w), speedUpSentence(w)].filter((s): s is string => s !== null).flatMap((s) => [s, '']),
    ...image(charts?.allDesigns ?? null),
    `Median total time (s) over the complete runs of each N:`,
    '',
    ...mediansTable(a, w),
    `### Marginal cost and speed-up (${wl.name})`,
    '',
    'The marginal cost is the slope of the least-squares line through the median total times: what one more client adds. The prediction is the cost model\'s (see "How this report reads the data").',
    '',
    ...fitsTable(a, w),
    ...image(charts?.marginalCost ?? null),
    ...image(charts?.speedUp ?? null),
    `### Why each curve looks the way it does (${wl.name})`,
    '',
  ];
  const startup = startupSentence(w, a.dataset.tasksPerClient);
  if (startup) out.push(startup, '');
  for (const d of w.designs) out.push(`- ${designProse(a, w, d).join(' ')}`);
  out.push('', `### Per design, the lesson's way (${wl.name})`, '', `Median total time per N (\`N -> median\`), then every run's total time in seconds, one column per N (${list(a.dataset.clients.map(String))}).`, '');
  w.designs.forEach((d, i) => {
    out.push(`#### ${d.design} (${wl.name})`, '', ...image(charts?.perDesign[i] ?? null), '```text', lessonMedians(d, a.dataset.clients), '```', '', '```text', lessonRuns(d, a.dataset.clients), '```', '');
  });
  out.push(...lessonComparisonSection(a, w));
  out.push(...timelineSection(a, w, charts));
  out.push(`### Task latency (${wl.name})`, '', ...image(charts?.latency ?? null), ...latencyTable(w));
  out.push(`### Server CPU and memory (${wl.name})`, '', ...image(charts?.serverCpu ?? null), ...image(charts?.serverMemory ?? null), ...serverTable(w));
  return out;
}

/** The lesson's figures 1–4 from data: the timeline chart and how to read it, or why there is none. */
function timelineSection(a: Analysis, w: WorkloadAnalysis, charts: WorkloadCharts | undefined): string[] {
  const n = timelineClients(a.dataset.clients);
  const missing = timelineMissing(a);
  const heading = `### Timeline${n === null ? '' : ` at N = ${n}`} (${w.workload.name})`;
  if (missing !== null) return [heading, '', `No timeline: ${missing}.`, ''];
  return [
    heading,
    '',
    `What each client did in each design's median run at N = ${n}, one row per client in the order they were served, from what loadgen recorded per client: ${list(['connecting (release → connected)', 'waiting (connected, not yet served: the iterative server\'s listen backlog, a pool\'s queue, a per-connection design\'s start-up of the client\'s own process or thread)', 'service (the task)', `goodbye (reply → ${code('Goodbye!')})`])}. The server does not report when it started serving a client, so service is drawn as the task's time (${w.workload.fibEstimatedMs !== null ? `FIB's estimate, ${w.workload.fibEstimatedMs} ms` : `${w.workload.taskMs} ms`}) ending at the reply; a bar that starts at the connect means the reply came sooner than that. The lesson's figures 1–4 are the iterative server's staircase here.`,
    '',
    ...image(charts?.timeline ?? null),
  ];
}
