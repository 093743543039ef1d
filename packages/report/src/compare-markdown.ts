import type { ChartDefinition } from './charts.ts';
import type { CellComparison, CellKey, Difference, SweepComparison } from './comparison.ts';
import { COMPARISON_RULE } from '@socketlab/results';
import { code, list, md, num, printable, ratio, seconds3 } from './format.ts';
import type { LoadedInput } from './load.ts';
import { table } from './markdown/table.ts';

/** The compare page's Markdown (README.md of the compare folder; index.html renders it). */

/** A regression threshold as typed: 0.1 → "10 %", 0.025 → "2.5 %". */
export function thresholdText(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))} %`;
}

/** Longest value from a file that compare prints on a terminal, in characters. */
export const MAX_TERMINAL_VALUE = 120;

/**
 * "CPU model AMD EPYC → Intel Xeon; cores 2 → 8", for stderr: each value from the files is printable()
 * (control characters and terminal escapes shown as `\xHH`, one line) and cut at MAX_TERMINAL_VALUE.
 */
export function differenceList(diffs: readonly Difference[]): string {
  const v = (s: string) => printable(s, MAX_TERMINAL_VALUE);
  return diffs.map((d) => `${d.what} ${v(d.base)} → ${v(d.new)}`).join('; ');
}

/**
 * The loud part: what differs between the two sweeps' machines and configurations, as one line (for
 * stderr); null when nothing does.
 */
export function differenceWarning(c: SweepComparison): string | null {
  const parts: string[] = [];
  if (c.machine.length) parts.push(`different machines (${differenceList(c.machine)})`);
  if (c.config.length) parts.push(`different configurations (${differenceList(c.config)})`);
  return parts.length ? `BASE and NEW come from ${parts.join(' and ')}: the ratios compare set-ups, not only code` : null;
}

function banners(c: SweepComparison): string[] {
  const out: string[] = [];
  const row = (d: Difference) => `> - ${md(d.what)}: ${md(d.base)} (BASE) → ${md(d.new)} (NEW)`;
  if (c.machine.length) {
    out.push('> **⚠ WARNING: BASE and NEW ran on different machines.** Every ratio below measures the machines as much as the code; a verdict says which run was faster, not which code is. What differs (the results record no host name, so two hosts with the same hardware and software look the same here):', '>', ...c.machine.map(row), '');
  }
  if (c.config.length) {
    out.push('> **⚠ WARNING: BASE and NEW were run with different configurations.** The same cell then measured a different experiment, so its ratio says as much about the configuration as about the code. What differs:', '>', ...c.config.map(row), '');
  }
  const withheld = c.cells.filter((x) => x.verdict === 'withheld');
  if (withheld.length) {
    const cells = withheld.map((x) => `${x.design} × ${x.workload} × N = ${x.clients} (${[x.base.noisy ? 'BASE' : '', x.new.noisy ? 'NEW' : ''].filter(Boolean).join(' and ')})`);
    out.push(`> **Noise: ${withheld.length} cell${withheld.length === 1 ? '' : 's'} withheld.** Other processes used more of the machine's CPU than loadgen's noise threshold during a run of these cells, so their times may be overstated; they get no verdict (and so cannot fail \`--fail-on-regression\`): ${list(cells)}.`, '');
  }
  const unrecorded = [c.noiseRecorded.base ? '' : 'BASE', c.noiseRecorded.new ? '' : 'NEW'].filter(Boolean);
  if (unrecorded.length) {
    out.push(`> **Noise: not recorded in ${list(unrecorded)}** (written before loadgen recorded the CPU other processes used during each run), so its verdicts assume no other work shared the machine.`, '');
  }
  return out;
}

/** Regressions named in the summary (the worst); the tables mark every one. */
const MAX_LISTED = 5;

function verdictText(x: CellComparison, threshold: number | null): string {
  if (x.verdict === 'withheld') return 'withheld (noisy)';
  const by = x.by === 'too-few-runs' ? 'too few runs' : x.by === 'ranges' ? 'ranges' : `rank test, p = ${x.p!.toFixed(3)}`;
  const v = x.verdict === 'tie' ? 'tie' : `NEW ${x.verdict}`;
  const beyond = x.regression && threshold !== null ? `, **beyond ${thresholdText(threshold)}**` : '';
  return `${x.verdict === 'slower' ? `**${v}**` : v} (${by})${beyond}`;
}

const ms = (v: number | null | undefined) => (v == null ? '–' : num(v));
const r3 = (v: number | null) => (v === null ? '–' : ratio(v, 3));

function workloadTable(cells: readonly CellComparison[], threshold: number | null): string[] {
  const latency = cells.some((x) => x.p99Ratio !== null);
  const cpu = cells.some((x) => x.serverCpuRatio !== null);
  const head = ['design', 'N', 'BASE (s)', 'NEW (s)', 'NEW ÷ BASE', 'verdict'];
  if (latency) head.push('p99 BASE (ms)', 'p99 NEW (ms)', 'p99 NEW ÷ BASE');
  if (cpu) head.push('server CPU NEW ÷ BASE');
  const rows = cells.map((x) => {
    const row = [
      x.design,
      String(x.clients),
      x.base.medianTotalMs === null ? '–' : seconds3(x.base.medianTotalMs),
      x.new.medianTotalMs === null ? '–' : seconds3(x.new.medianTotalMs),
      r3(x.totalRatio),
      verdictText(x, threshold),
    ];
    if (latency) row.push(ms(x.base.latency?.p99Ms), ms(x.new.latency?.p99Ms), r3(x.p99Ratio));
    if (cpu) row.push(r3(x.serverCpuRatio));
    return row;
  });
  return table(head, head.map((_, i) => (i === 0 || i === 5 ? 'l' : 'r')), rows);
}

function keyList(keys: readonly CellKey[]): string[] {
  const groups = new Map<string, number[]>();
  for (const k of keys) groups.set(`${k.design} × ${k.workload}`, [...(groups.get(`${k.design} × ${k.workload}`) ?? []), k.clients]);
  return [...groups].map(([g, ns]) => `- ${g}: N = ${list(ns.map(String))}`);
}

function inputsTable(c: SweepComparison): string[] {
  const diffs = new Set([...c.machine, ...c.config].map((d) => d.what));
  const mark = (what: string) => (diffs.has(what) ? `**${what}** ⚠` : what);
  const file = (i: LoadedInput) => i.results;
  const rows: string[][] = [
    ['file', code(c.names.base), code(c.names.new)],
    ['SHA-256 of the file', code(c.base.sha256.slice(0, 16)), code(c.new.sha256.slice(0, 16))],
    ['sweep started (UTC)', md(file(c.base).startedAt), md(file(c.new).startedAt)],
    ['written by', `${md(file(c.base).tool.name)} ${md(file(c.base).tool.version)}`, `${md(file(c.new).tool.name)} ${md(file(c.new).tool.version)}`],
    ['git commit', ...[c.base, c.new].map((i) => (file(i).environment.gitCommit === null ? 'unknown' : `${code(file(i).environment.gitCommit!.slice(0, 12))}${file(i).environment.gitDirty ? ' (uncommitted changes)' : ''}`))],
    ['preset', ...[c.base, c.new].map((i) => file(i).config.preset ?? 'none')],
    ['designs', ...[c.base, c.new].map((i) => file(i).config.designs.join(', '))],
    ['clients (N)', ...[c.base, c.new].map((i) => file(i).config.clients.join(', '))],
  ];
  for (const d of [...c.machine, ...c.config]) rows.push([mark(d.what), md(d.base), md(d.new)]);
  return table(['', 'BASE', 'NEW'], ['l', 'l', 'l'], rows);
}

/** The whole page. `chart` is null when no cell is in both files. */
export function renderCompareMarkdown(c: SweepComparison, title: string, chart: ChartDefinition | null): string {
  const t = c.failOnRegression;
  const n = c.cells.length;
  const withRatio = c.cells.filter((x) => x.totalRatio !== null).map((x) => x.totalRatio!);
  const out: string[] = [
    `# ${md(title)}`,
    '',
    ...banners(c),
    `NEW is ${code(c.names.new)}, BASE is ${code(c.names.base)}. Every design × workload × N cell that both files measured is compared: NEW ÷ BASE of its median total time (below 1: NEW finished sooner), of its p99 task latency and of the server's CPU, and a verdict by the report's comparison rule on the clean runs' total times (below). This page was generated by \`socketlab-report compare\`; the same two files always give the same page.`,
    '',
    '## Summary',
    '',
  ];
  if (n === 0) {
    out.push('**No cell is in both files**, so nothing is compared.', '');
  } else {
    out.push(
      `- **${n} cell${n === 1 ? '' : 's'} in both files**: NEW faster in ${c.counts.faster}, slower in ${c.counts.slower}, tie in ${c.counts.tie}, withheld (noisy) in ${c.counts.withheld}.`,
      withRatio.length ? `- **NEW ÷ BASE of the median total time**: from ${ratio(Math.min(...withRatio), 3)} to ${ratio(Math.max(...withRatio), 3)}.` : '- No cell has a median total time in both files.',
    );
  }
  if (t === null) {
    out.push('- **Regression threshold**: none set (`--fail-on-regression`), so the command exits 0 whatever the verdicts.');
  } else if (n === 0) {
    out.push(`- **Regression threshold ${thresholdText(t)}**: nothing could be checked, which fails (exit 4): a gate that compared nothing must not pass.`);
  } else if (c.regressions.length === 0) {
    out.push(`- **Regression threshold ${thresholdText(t)}**: no cell is slower with NEW ÷ BASE above ${ratio(1 + t, 2)}.`);
  } else {
    const worst = [...c.regressions].sort((x, y) => y.totalRatio! - x.totalRatio!);
    const shown = worst.slice(0, MAX_LISTED).map((x) => `${x.design} × ${x.workload} × N = ${x.clients} (${ratio(x.totalRatio!, 3)})`);
    const more = worst.length > MAX_LISTED ? ` and ${worst.length - MAX_LISTED} more` : '';
    out.push(`- **Regression threshold ${thresholdText(t)}: ${c.regressions.length} cell${c.regressions.length === 1 ? '' : 's'} slower beyond it** (exit 4), worst first: ${more ? shown.join(', ') : list(shown)}${more} (marked in the tables).`);
  }
  const only = c.onlyInBase.length + c.onlyInNew.length;
  out.push(`- **Cells in only one file**: ${only === 0 ? 'none' : `${c.onlyInBase.length} only in BASE, ${c.onlyInNew.length} only in NEW (listed below)`}.`, '');
  if (chart) out.push(`![${md(chart.alt)}](${chart.name}.svg)`, '');
  const workloads = [...new Set(c.cells.map((x) => x.workload))];
  for (const w of workloads) {
    out.push(`## Workload: ${w}`, '', ...workloadTable(c.cells.filter((x) => x.workload === w), t));
  }
  out.push('## Cells in only one file', '');
  if (only === 0) out.push('None: both files measured the same cells.', '');
  if (c.onlyInBase.length) out.push('Only in BASE (no verdict):', '', ...keyList(c.onlyInBase), '');
  if (c.onlyInNew.length) out.push('Only in NEW (no verdict):', '', ...keyList(c.onlyInNew), '');
  out.push('## The two sweeps', '', 'Machine and configuration properties are listed when they differ (marked ⚠).', '', ...inputsTable(c));
  out.push(
    '## How this page decides',
    '',
    '- **Ratios**: NEW ÷ BASE of a cell\'s median total time over its complete runs (the lesson\'s figure), of its p99 task latency (each file\'s runs\' HDR histograms added, then read), and of the median server CPU per run.',
    `- **Verdict**: the rule the report uses between designs (\`compareRuns\`), here between NEW and BASE on each cell's clean runs' total times: with fewer than ${COMPARISON_RULE.minRuns} runs on either side, a tie (too few runs); with fewer than ${COMPARISON_RULE.rankTestMinRuns}, faster only when the ranges do not overlap; with more, a two-sided Mann–Whitney rank test at p < ${COMPARISON_RULE.alpha}. A cell with a noisy run in either file gets no verdict.`,
    '- **Regression** (`--fail-on-regression x%`): a cell whose verdict is "NEW slower" *and* whose NEW ÷ BASE of the median total time is above 1 + x. A large ratio the rule calls a tie is not a regression: the runs could not tell the two apart.',
    '- **Differences**: the machine (CPU model, cores, logical CPUs, memory, OS, kernel, Node.js) and the configuration (timeScale, workloads and their tasks, runs per N, tasks per client, client mode, server lifecycle, pool size) are compared field by field. The designs and N swept are not: cells only one file has are listed instead.',
    '',
  );
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
