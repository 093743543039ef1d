import { DESIGNS, type SweepResults } from '@socketlab/results';
import type { Analysis } from '../analysis.ts';
import { byDesignOrder } from '../load.ts';
import { RUNS_CSV_NAME } from '../csv.ts';
import { chartList, type ChartDefinition, type WorkloadCharts } from '../charts.ts';
import { code, list, md, percent } from '../format.ts';
import { nodeLimits, preforkSharesParagraph } from '../prose.ts';
import { fastestSentence, slopeSentence } from '../summary-prose.ts';
import type { MarkdownContext } from './context.ts';
import { environmentSection } from './environment-section.ts';
import { flagsSection } from './flags-section.ts';
import { methodSection } from './method-section.ts';
import { reproduceSection } from './reproduce-section.ts';
import { workloadSection } from './workload-section.ts';
import { firstScreen } from './first-screen.ts';
import { OPEN_SECTION_TITLE, openSection } from './open-section.ts';
import { SHARD_SECTION_TITLE, mergedInputs, shardSection } from './shard-section.ts';

export type { MarkdownContext };
export { lessonMedians, lessonRuns } from './lesson.ts';

/** Up to this many designs are named in the default title; more are counted ("6 designs"), or "all 8 designs". */
export const TITLE_MAX_DESIGNS = 3;

/**
 * The report's default title: what was actually swept (designs × workloads × N × runs), never the
 * preset's name, which is only where a configuration started from (a sweep of `--preset quick
 * --designs mt-pool` is an mt-pool sweep). A few designs are named, in catalogue order; more are counted.
 */
const PREFORK_SECTION = 'How the prefork children shared the connections';

export function defaultTitle(inputs: readonly { results: SweepResults }[]): string {
  const open = inputs.filter((i) => i.results.config.model === 'open');
  if (open.length > 0) {
    // The open model's axis is the rate, not N: say so, and what the closed inputs add.
    const closed = inputs.filter((i) => i.results.config.model !== 'open');
    const rates = new Set(open.flatMap((i) => i.results.cells.map((c) => c.open?.rate ?? 0))).size;
    const text = (xs: typeof inputs) => {
      const d = [...new Set(xs.flatMap((i) => i.results.config.designs))];
      return `${d.length === DESIGNS.length ? 'all designs' : d.join(', ')} × ${[...new Set(xs.flatMap((i) => i.results.config.workloads.map((w) => w.name)))].join(', ')}`;
    };
    const closedText = closed.length ? `; closed model: ${defaultTitle(closed).replace(/^socketlab report: /, '')}` : '';
    return `socketlab report: ${text(open)} × open model at ${rates} rate${rates === 1 ? '' : 's'}${closedText}`;
  }
  const designs = [...new Set(inputs.flatMap((i) => i.results.config.designs))].sort(byDesignOrder);
  const workloads = [...new Set(inputs.flatMap((i) => i.results.config.workloads.map((w) => w.name)))];
  const clients = [...new Set(inputs.flatMap((i) => i.results.config.clients))].sort((a, b) => a - b);
  const runs = [...new Set(inputs.map((i) => i.results.config.runs))].join(' or ');
  const everyDesign = DESIGNS.every((d) => designs.includes(d)) && designs.length === DESIGNS.length;
  const designText = everyDesign ? `all ${DESIGNS.length} designs` : designs.length <= TITLE_MAX_DESIGNS ? designs.join(', ') : `${designs.length} designs`;
  const n = clients.length === 1 ? `N = ${clients[0]}` : `N = ${clients[0]}–${clients[clients.length - 1]}`;
  const combined = inputs.length > 1 ? `, ${inputs.length} sweeps combined` : '';
  return `socketlab report: ${designText} × ${workloads.join(', ')} × ${n} × ${runs} run${runs === '1' ? '' : 's'}${combined}`;
}

/** The noise banner: what loadgen recorded about other work on the machine, and what the report withheld for it. */
export function noiseBanner(a: Analysis): string[] {
  const t = a.totals;
  if (t.runs === 0 && a.open !== null) return []; // open-model cells only: their noise flags are in their tables
  if (t.noiseRecordedRuns === 0) {
    return ['> **Noise: not recorded.** These results were written before loadgen recorded the CPU other processes used during each run, so this report cannot tell whether other work shared the machine; its comparisons assume it did not.', ''];
  }
  const partial = t.noiseRecordedRuns < t.runs ? ` (recorded for ${t.noiseRecordedRuns} of ${t.runs} runs)` : '';
  if (a.noisyCells.length === 0) return [`> **Noise: none flagged**${partial}: in every run other processes stayed under loadgen's noise threshold of the machine's CPU.`, ''];
  const cells = a.noisyCells.map((c) => {
    const worst = Math.max(...c.runs.map((r) => r.foreignCpuShare ?? 0));
    return `${c.design} × ${c.workload} × N = ${c.clients} (up to ${percent(worst)})`;
  });
  return [
    `> **Noise: ${t.noisyRuns} of ${t.runs} runs were noisy**${partial}: other processes used more of the machine's CPU than loadgen's noise threshold even in the quietest attempt, so those runs may overstate the design's times. Rankings at the N of these cells are withheld: ${list(cells)}.`,
    '',
  ];
}

/** The whole README.md of the report. */
export function renderMarkdown(a: Analysis, ctx: MarkdownContext): string {
  const ds = a.dataset;
  const inputs = ds.inputs;
  const first = inputs[0]!.results;
  const runsText = [...new Set(inputs.map((i) => i.results.config.runs))].join(' or ');
  const openRates = new Set(ds.openCells.map((c) => c.rate)).size;
  const closedText = `${ds.designs.length} server design${ds.designs.length === 1 ? '' : 's'} × ${ds.workloads.length} workload${ds.workloads.length === 1 ? '' : 's'} × N = ${list(ds.clients.map(String))} clients × ${runsText} run${runsText === '1' ? '' : 's'}`;
  const openText = `${openRates} target rate${openRates === 1 ? '' : 's'} of the open model`;
  const what = ds.openCells.length === 0 ? closedText : ds.cells.length === 0 ? `${ds.designs.length} server design${ds.designs.length === 1 ? '' : 's'} × ${openText} × ${runsText} run${runsText === '1' ? '' : 's'}` : `${closedText}, and ${openText}`;
  const out: string[] = [
    `# ${md(ctx.title)}`,
    '',
    ...firstScreen(a),
    `This report was generated by \`@socketlab/report\` from ${list(inputs.map((i) => `[${i.name}](${i.name})`))}: ${what}, on ${md(first.environment.cpuModel)} (${first.environment.cores} cores), Node.js ${md(first.environment.node)}. ${md(first.scale)}. Every number and sentence below is computed from that data; the same input always gives the same report. Every run is also one row of [${ctx.runsCsvName ?? RUNS_CSV_NAME}](${ctx.runsCsvName ?? RUNS_CSV_NAME}).`,
    '',
    ...noiseBanner(a),
    '## Summary',
    '',
  ];
  for (const w of a.workloads) {
    const parts = [fastestSentence(w), slopeSentence(w)].filter((s): s is string => s !== null);
    out.push(`- **${w.workload.name}** (${list(w.workload.tasks.map((t) => code(t)))}, ${w.workload.costModel}): ${parts.join(' ')}`);
  }
  for (const w of a.open?.workloads ?? []) {
    const knees = w.curves.map((c) => `${c.design} ${c.knee === null ? 'none at the rates measured' : `${c.knee.rate}/s${c.kneeNote === 'all-healthy' ? ' or more' : ''}`}`);
    out.push(`- **${w.workload.name}, open model** (${list(w.workload.tasks.map((t) => code(t)))}): knee ${list(knees)} (see "${OPEN_SECTION_TITLE}").`);
  }
  const t = a.totals;
  if (a.open) {
    const runs = a.dataset.openCells.flatMap((c) => c.runs.map((s) => s.run));
    out.push(`- **Open-model runs**: ${runs.length} in all (${runs.filter((r) => r.open?.saturated).length} saturated: the server did not keep up; ${runs.filter((r) => r.open?.generatorLimited).length} generator-limited; ${runs.filter((r) => r.errors.total > 0).length} with errors).`);
  }
  // The closed model's runs (all of them when there is no open-model data, as before).
  if (t.runs > 0 || a.open === null) {
    out.push(`- **Runs**: ${t.runs} in all (${t.runs - t.completeRuns} incomplete, ${t.saturatedRuns} loadgen-saturated, ${t.runsWithErrors} with errors, ${t.noiseRecordedRuns === 0 ? 'noise not recorded' : `${t.noisyRuns} noisy`})${a.flags.length ? '; see "Flagged runs, errors and warnings"' : ''}.`);
  }
  out.push('');
  const prefork = preforkSharesParagraph(a.dataset.inputs.flatMap((i) => i.results.cells));
  const sections = [...a.workloads.map((w) => `Workload: ${w.workload.name}`), ...(a.open ? [OPEN_SECTION_TITLE] : []), 'Flagged runs, errors and warnings', ...(mergedInputs(a).length ? [SHARD_SECTION_TITLE] : []), 'Environment and configuration', 'How to reproduce', 'What Node.js could not do', ...(prefork ? [PREFORK_SECTION] : []), 'How this report reads the data'];
  out.push(`Sections: ${sections.map((s) => `[${s}](#${slug(s)})`).join(' · ')}.`, '');
  a.workloads.forEach((w, i) => out.push(...workloadSection(a, w, ctx.charts[i])));
  out.push(...openSection(a, ctx.openCharts ?? []));
  out.push(...flagsSection(a), ...shardSection(a), ...environmentSection(a), ...reproduceSection(a));
  out.push('## What Node.js could not do', '', ...nodeLimits(a.dataset.inputs.map((i) => i.results.environment), a.dataset.inputs.flatMap((i) => i.results.cells.flatMap((c) => c.servers.filter((s) => s.design.startsWith('mt-per-connection')).map((s) => s.io)))).map((s) => `- ${s}`), '');
  if (prefork) out.push(`## ${PREFORK_SECTION}`, '', prefork, '');
  out.push(...methodSection(ctx, a));
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every chart of the report, in README order. */
export function allCharts(charts: readonly WorkloadCharts[]): ChartDefinition[] {
  return charts.flatMap(chartList);
}
