import type { Analysis, RunFlag } from '../analysis.ts';
import { code, list, md, percent } from '../format.ts';
import { BUSY_LOAD_PER_CORE } from './busy.ts';
import { table } from './table.ts';

/** Most loadgen warnings listed verbatim (the rest are counted). */
const MAX_WARNINGS = 20;

function flagText(f: RunFlag): { flags: string; details: string } {
  const flags: string[] = [];
  if (f.incomplete) flags.push('incomplete');
  if (f.saturated) flags.push('loadgen saturated');
  if (f.noisyShare !== null) flags.push(`noisy (other processes used ${percent(f.noisyShare)} of the CPU)`);
  if (f.errors.total > 0) flags.push(`${f.errors.total} error${f.errors.total === 1 ? '' : 's'}`);
  if (f.failedClients > 0) flags.push(`${f.failedClients} client${f.failedClients === 1 ? '' : 's'} failed`);
  const kinds: string[] = [];
  for (const k of ['refused', 'reset', 'closed', 'timeout', 'wrongResult', 'other'] as const) if (f.errors[k] > 0) kinds.push(`${k} ${f.errors[k]}`);
  for (const [c, count] of Object.entries(f.errors.protocol).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) kinds.push(`${c} ${count}`);
  const sample = f.errorSamples[0];
  return { flags: flags.join(', '), details: [kinds.join(', '), sample ? `first: ${code(sample.replace(/\|/g, '/'))}` : ''].filter(Boolean).join('; ') || '–' };
}

/** Flagged runs, errors, unclean server stops, loadgen's warnings and notes about the inputs. */
export function flagsSection(a: Analysis): string[] {
  const out: string[] = ['## Flagged runs, errors and warnings', ''];
  const t = a.totals;
  // The rule changed with the v2 fields: a client process's share of one core (and its event-loop delay), not loadgen's CPU over every core.
  const rules = [...new Set(a.dataset.inputs.map(({ results: { config: c } }) => (c.eventLoopDelayThresholdMs === undefined
    ? `its own CPU use reached ${percent(c.saturationThreshold)} of what it could use`
    : `a client process used ${percent(c.saturationThreshold)} of a core or its event loop ran ${c.eventLoopDelayThresholdMs} ms late at the 99th percentile`)))];
  for (const input of a.dataset.inputs) {
    if (!input.results.complete) out.push(`**${input.name} is marked incomplete** by loadgen (abortReason: ${md(input.results.abortReason ?? 'none recorded')}).`, '');
  }
  if (a.missing.length) {
    const groups = new Map<string, number[]>();
    for (const m of a.missing) {
      const key = `${a.dataset.inputs.length > 1 ? `${a.dataset.inputs[m.input]!.name}: ` : ''}${m.design} × ${m.workload}`;
      groups.set(key, [...(groups.get(key) ?? []), m.clients]);
    }
    out.push(`Planned cells with no complete run (shown as – in the tables, absent from the charts and fits):`, '');
    for (const [key, ns] of groups) out.push(`- ${key}: N = ${list(ns.map(String))}`);
    out.push('');
  }
  // Open-model runs are flagged in their own section; with only those, there is no closed run to count.
  if (t.runs > 0 || a.open === null) out.push(`${t.runs} runs: ${t.completeRuns} complete, ${t.saturatedRuns} flagged by loadgen as saturated (${rules.join('; or, in other inputs, ')}, so the run may understate the server), ${t.runsWithErrors} with errors (${t.errors} errors in all).`, '');
  if (a.flags.length === 0) {
    if (t.runs > 0 || a.open === null) out.push('No run is flagged.', '');
  } else {
    const rows = a.flags.map((f) => {
      const { flags, details } = flagText(f);
      return [f.workload, f.design, String(f.clients), f.run, flags, details];
    });
    out.push(...table(['workload', 'design', 'N', 'run', 'flags', 'details'], ['l', 'l', 'r', 'l', 'l', 'l'], rows));
    out.push('Flagged runs still count in the medians and fits; their points are drawn in red in the per-design charts.', '');
  }
  const unclean = a.dataset.cells.flatMap((c) => c.servers.filter((s) => s.stop !== null && !s.stop.clean).map((s) => ({ c, s })));
  if (unclean.length) {
    out.push('Servers that did not stop cleanly (exit code 0, no forced kill, no leftover processes, port free):', '');
    for (const { c, s } of unclean) {
      const st = s.stop!;
      out.push(`- ${c.design}, ${c.workload}, N = ${c.clients}: exit code ${st.exitCode ?? 'none'}${st.exitSignal ? `, signal ${st.exitSignal}` : ''}${st.forcedKill ? ', killed after the stop timeout' : ''}${st.leftoverPids.length ? `, ${st.leftoverPids.length} leftover process(es)` : ''}${st.portFree === false ? ', port still bound' : ''}.`);
    }
    out.push('');
  }
  const warnings = [...new Set(a.dataset.inputs.flatMap((i) => i.results.warnings))];
  if (warnings.length) {
    out.push(`loadgen's warnings${a.dataset.inputs.length > 1 ? ' (all inputs)' : ''}:`, '');
    for (const w of warnings.slice(0, MAX_WARNINGS)) out.push(`- ${md(w)}`);
    if (warnings.length > MAX_WARNINGS) out.push(`- … and ${warnings.length - MAX_WARNINGS} more (see the input's \`warnings\`).`);
    out.push('');
  } else {
    out.push('loadgen recorded no warnings.', '');
  }
  for (const input of a.dataset.inputs) {
    const env = input.results.environment;
    const load = env.loadAverage[0] ?? 0;
    if (load > BUSY_LOAD_PER_CORE * env.cores) {
      out.push(`The machine was busy when ${input.name} started: a 1-minute load average of ${load.toFixed(2)} on ${env.cores} cores, so other work competed with the servers and loadgen for the CPU.`, '');
    }
  }
  for (const note of a.dataset.notes) out.push(`Note: ${md(note)}`, '');
  return out;
}
