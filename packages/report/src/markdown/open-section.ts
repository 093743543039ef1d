import type { OpenConfig } from '@socketlab/results';
import type { Analysis } from '../analysis.ts';
import type { ChartDefinition } from '../charts.ts';
import { code, duration, list, md, num, percent, times } from '../format.ts';
import { OPEN_RULES, type ModelComparison, type OpenAnalysis, type OpenCurve, type OpenPoint } from '../open-analysis.ts';
import { table } from './table.ts';

/** The heading of the open model's section (and its anchor in the section list). */
export const OPEN_SECTION_TITLE = 'Latency vs throughput (open model)';

const rate = (x: number): string => `${num(x)}/s`;

/** Flags of a point, in words. */
function flagsOf(p: OpenPoint): string {
  const f: string[] = [];
  if (p.saturated) f.push('saturated');
  if (p.generatorLimited) f.push('generator-limited');
  if (p.noisy) f.push('noisy');
  if (!p.little.holds) f.push(`Little's law off by ${percent(p.little.deviation)}`);
  return f.join(', ') || '–';
}

/** The knee of a curve, in a sentence. */
export function kneeSentence(c: OpenCurve): string {
  const base = c.points[0];
  if (!base) return `${c.design} has no complete open-model run.`;
  const factor = OPEN_RULES.kneeP99Factor;
  if (c.knee === null) {
    const why = base.saturated ? 'the server did not keep up with it' : base.generatorLimited ? 'loadgen could not keep its pace' : 'it is the reference';
    return `No knee for ${c.design}: even the lowest rate, ${rate(base.rate)}, was not healthy (${why}), so its capacity lies below the rates measured.`;
  }
  const k = c.knee;
  const head = `The knee of ${c.design} is at ${rate(k.rate)}${k.ratePercent === null ? '' : ` (${num(k.ratePercent)} % of the probed capacity)`}, ${rate(k.throughput)} achieved, with a response p99 of ${num(k.responseP99Ms)} ms against ${num(base.responseP99Ms)} ms at the lowest rate.`;
  if (c.kneeNote === 'all-healthy') return `${head} Every rate measured kept up, so the capacity lies above it: sweep higher rates to find where the curve turns.`;
  const next = c.points[c.points.indexOf(k) + 1]!;
  const why: string[] = [];
  if (next.saturated) why.push(`the server no longer kept up (${rate(next.throughput)} achieved of ${rate(next.offeredRate)} offered${next.dropped ? `, ${next.dropped} arrivals dropped` : ''})`);
  if (next.generatorLimited) why.push(`loadgen fell behind its own schedule (pacing-lag p99 ${num(next.pacingLagP99Ms)} ms)`);
  if (next.responseP99Ms > factor * base.responseP99Ms) why.push(`the response p99 rose to ${num(next.responseP99Ms)} ms, ${times(next.responseP99Ms / base.responseP99Ms)} the lowest rate's`);
  return `${head} At the next rate, ${rate(next.rate)}, ${list(why)}.`;
}

/** Response vs service at the knee (or the highest rate): the time spent waiting to be sent. */
function gapSentence(c: OpenCurve): string | null {
  const p = c.knee ?? c.points[c.points.length - 1];
  const top = c.points[c.points.length - 1];
  if (!p || !top) return null;
  const at = (x: OpenPoint, label: string) => `${label} ${rate(x.rate)} the response p99 is ${num(x.responseP99Ms)} ms and the service p99 ${num(x.serviceP99Ms)} ms`;
  const parts = [at(p, c.knee ? 'At the knee,' : 'At')];
  if (top !== p) parts.push(`${at(top, 'at')} (${top.sentLate} of ${top.arrivals} arrivals sent late${top.dropped ? `, ${top.dropped} dropped` : ''})`);
  return `${parts.join('; ')}. The difference is time requests waited to be sent, which a client that waits for each reply before sending the next never measures.`;
}

function curveTable(c: OpenCurve): string[] {
  const rows = c.points.map((p) => [
    String(p.rate),
    p.ratePercent === null ? '–' : `${num(p.ratePercent)} %`,
    num(p.throughput),
    num(p.responseP50Ms),
    num(p.responseP99Ms),
    num(p.serviceP99Ms),
    String(p.sentLate),
    String(p.dropped),
    String(p.timedOut),
    String(p.errors),
    `${num(p.little.measured)} / ${num(p.little.predicted)}`,
    `${c.knee === p ? '**knee**; ' : ''}${flagsOf(p)}`,
  ]);
  return table(
    ['target (/s)', 'of capacity', 'achieved (/s)', 'response p50 (ms)', 'response p99 (ms)', 'service p99 (ms)', 'sent late', 'dropped', 'timed out', 'errors', 'L / λW', 'flags'],
    ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows,
  );
}

/** How the open-model runs were driven, from the inputs' config.open (one line per distinct setting). */
function setupText(a: Analysis): string {
  const seen = new Map<string, OpenConfig>();
  for (const i of a.dataset.inputs) {
    const o = i.results.config.open;
    if (o) seen.set(JSON.stringify({ ...o, rates: [], ratePercents: [] }), o);
  }
  return [...seen.values()]
    .map((o) => `${o.arrival === 'poisson' ? `Poisson arrivals (seed ${o.seed}, process i drawing from seed + i)` : 'evenly spaced (constant) arrivals'} for ${duration(o.durationMs)} per run on ${o.connections} connection${o.connections === 1 ? '' : 's'} with at most ${o.maxInFlight} request${o.maxInFlight === 1 ? '' : 's'} outstanding each, a queue of at most ${o.queueLimit} arrivals, and a drain of ${duration(o.drainMs)}`)
    .join('; or ');
}

function comparisonSentence(x: ModelComparison): string {
  const ratio = x.open.responseP99Ms / x.closedP99Ms;
  const verdict = ratio >= 1.5 ? `the closed model's p99 is ${times(ratio)} lower: it leaves out the waiting that arrivals at this rate do` : ratio <= 1 / 1.5 ? `the open model's p99 is ${times(1 / ratio)} lower: the closed model's N clients arrive together, a burst the open model spreads out` : 'the two agree within 1.5×';
  return `${x.design} × ${x.workload}: at about ${rate(x.closedThroughput)}, the closed model (N = ${x.closedClients}) reports a p99 of ${num(x.closedP99Ms)} ms; the open model at ${rate(x.open.rate)} (${rate(x.open.throughput)} achieved) a response p99 of ${num(x.open.responseP99Ms)} ms and a service p99 of ${num(x.open.serviceP99Ms)} ms: ${verdict}.`;
}

/** "Which model answers which question", from the data. */
function modelsSection(a: Analysis, o: OpenAnalysis): string[] {
  const out = [
    '### Which model answers which question',
    '',
    'The closed model (the lesson\'s) releases N clients at once and each waits for its reply before sending the next request: it answers how long a batch of N takes and how a design copes with N at once. A client that waits sends nothing meanwhile, so its latencies leave out the time requests would have spent waiting had they kept arriving (coordinated omission). The open model keeps requests arriving at a rate whether or not the server keeps up, and times each from when it should have been sent: it answers what response time a steady load sees, and at what load the server stops keeping up.',
    '',
  ];
  const hasClosed = a.dataset.cells.length > 0;
  if (o.comparisons.length > 0) {
    out.push(`Where this data has both models for a design and workload at about the same throughput (within ${percent(OPEN_RULES.throughputMatch)}):`, '');
    for (const x of o.comparisons) out.push(`- ${comparisonSentence(x)}`);
    out.push('');
  } else if (hasClosed) {
    out.push(`No closed-model cell here has a throughput within ${percent(OPEN_RULES.throughputMatch)} of an open-model cell of the same design and workload, so the two are not set side by side.`, '');
  } else {
    out.push('This data has open-model cells only; a closed-model sweep of the same designs and workload, added as another input, would be set side by side with them here.', '');
  }
  const gaps = o.workloads.flatMap((w) => w.curves).filter((c) => c.points.length > 0);
  const widest = gaps
    .map((c) => ({ c, p: c.points.reduce((m, p) => (p.responseP99Ms / Math.max(p.serviceP99Ms, 0.001) > m.responseP99Ms / Math.max(m.serviceP99Ms, 0.001) ? p : m)) }))
    .sort((x, y) => y.p.responseP99Ms / Math.max(y.p.serviceP99Ms, 0.001) - x.p.responseP99Ms / Math.max(x.p.serviceP99Ms, 0.001))[0];
  if (widest) {
    const { c, p } = widest;
    out.push(
      `In the open-model data, the widest gap between response and service time is ${c.design} × ${c.workload} at ${rate(p.rate)}: a response p99 of ${num(p.responseP99Ms)} ms against a service p99 of ${num(p.serviceP99Ms)} ms (${times(p.responseP99Ms / Math.max(p.serviceP99Ms, 0.001))}). A load generator that timed requests from their actual send, as a closed loop does, would have reported the latter.`,
      '',
    );
  }
  return out;
}

/** The open model's section: per workload a chart, per design the knee, a table and Little's law; then the two models compared. */
export function openSection(a: Analysis, charts: readonly (ChartDefinition | null)[]): string[] {
  const o = a.open;
  if (o === null) return [];
  const out: string[] = [
    `## ${OPEN_SECTION_TITLE}`,
    '',
    `These cells ran loadgen's open model (${code('--model open')}): ${md(setupText(a))}. An arrival that finds every slot taken waits in a queue and is sent late, as soon as a reply frees a slot. **Response time** is measured from each request's intended send time (its arrival), so the wait for a slot, and loadgen's own timer lateness, count; **service time** from its actual send. Achieved throughput is the OK replies over the run's window (the release to the later of the last arrival and the last reply).`,
    '',
  ];
  o.workloads.forEach((w, i) => {
    out.push(`### ${w.workload.name} (open model)`, '');
    const chart = charts[i] ?? null;
    if (chart) out.push(`![${md(chart.alt)}](${chart.name}.svg)`, '');
    for (const c of w.curves) {
      out.push(`#### ${c.design} (${w.workload.name}, open model)`, '', kneeSentence(c), '');
      const gap = gapSentence(c);
      if (gap) out.push(gap, '');
      if (c.points.length) out.push(...curveTable(c));
    }
  });
  const points = o.workloads.flatMap((w) => w.curves.flatMap((c) => c.points.map((p) => ({ c, p }))));
  const off = points.filter((x) => !x.p.little.holds);
  out.push(
    "### Little's law check",
    '',
    `For every open-model cell, the mean number of requests in the system as the generator counted it (L: each arrival from its intended time to its reply, drop or the drain's end, averaged over the run's window) should equal the throughput of replies times their mean response time (λW): the two come from the same requests, so a gap is a measurement problem (requests that stayed without a reply, or a miscount), not a property of the server. It holds within ${percent(OPEN_RULES.littleTolerance)} in ${points.length - off.length} of ${points.length} cell${points.length === 1 ? '' : 's'}.`,
    '',
  );
  if (off.length) {
    for (const { c, p } of off) out.push(`- ${c.design} × ${c.workload} at ${rate(p.rate)}: L = ${num(p.little.measured)}, λW = ${num(p.little.predicted)} (off by ${percent(p.little.deviation)}; ${p.timedOut} request${p.timedOut === 1 ? '' : 's'} timed out or unsent).`);
    out.push('');
  }
  if (o.emptyCells.length) out.push(`Rates with no complete run (left out): ${list(o.emptyCells.map((c) => `${c.design} × ${c.workload} at ${rate(c.rate)}`))}.`, '');
  out.push(...modelsSection(a, o));
  out.push(
    `How this section reads the data: a rate's runs are pooled (histograms added; throughput the median). The **knee** is the highest rate such that it and every lower rate kept up (no run flagged saturated by loadgen, i.e. throughput within its rate tolerance of the offered rate and nothing dropped, and none generator-limited) with a response p99 at most ${OPEN_RULES.kneeP99Factor}× the lowest rate's. A run is generator-limited when loadgen's pacing-lag p99 passed its threshold or loadgen's CPU saturated: loadgen, not the server, may then have set the pace.`,
    '',
  );
  return out;
}
