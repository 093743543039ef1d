import { median, type RunResult, type SweepResults } from '@socketlab/results';
import type { Analysis } from '../analysis.ts';
import type { LoadedInput } from '../load.ts';
import { code, duration, list, md, percent } from '../format.ts';
import { table } from './table.ts';

export const SHARD_SECTION_TITLE = 'Sharded run';

/**
 * Above this share of the median total, the start skew is called out: the shards' releases were spread
 * over enough of a run that the merged run is not quite "every client at once".
 */
export const SKEW_CAVEAT_SHARE = 0.05;

/** The inputs written by `socketlab-loadgen merge` (with `merged`): only these get the section. */
export function mergedInputs(a: Analysis): LoadedInput[] {
  return a.dataset.inputs.filter((i) => i.results.merged !== undefined);
}

const ms = (x: number | null): string => (x === null ? '–' : duration(x));
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

type MergedRun = RunResult & { shards: NonNullable<RunResult['shards']> };

/** One merged input: who ran it, how the starts lined up, and what each shard did. */
function mergedInput(r: SweepResults, heading: string[]): string[] {
  const m = r.merged!;
  const runs = r.cells.flatMap((c) => c.runs.filter((run): run is MergedRun => run.shards !== undefined).map((run) => ({ run, clients: c.clients })));
  const open = r.config.model === 'open';
  const out = [...heading];
  const hosts = [...new Set(m.shards.map((s) => s.host))];
  const nodes = [...new Set(m.shards.flatMap((s) => (s.node === null ? [] : [s.node])))];
  const where = `${hosts.length === 1 ? `all on host ${code(hosts[0]!)}` : `on ${hosts.length} hosts (${list(hosts.map(code))})`}${nodes.length ? `, Slurm node${nodes.length === 1 ? '' : 's'} ${list(nodes.map(code))}` : ''}`;
  const incomplete = m.shards.filter((s) => !s.complete).map((s) => String(s.index));
  out.push(`This sweep ran as **${m.count} shards** (sweep ${code(m.sweepId)}), ${where}, each loading the same server with its share of the ${open ? 'connections and of the rate' : 'clients'}; \`socketlab-loadgen merge\` added their results together, so every N, count and histogram above is the shards' sum${incomplete.length ? `. Shard${incomplete.length === 1 ? '' : 's'} ${list(incomplete)} did not complete ${incomplete.length === 1 ? 'its' : 'their'} sweep` : ''}.`, '');
  if (runs.length === 0) return [...out, 'No run was merged.', ''];

  const skews = runs.map((x) => x.run.shards.startSkewMs);
  const totals = runs.flatMap((x) => (x.run.totalMs === null ? [] : [x.run.totalMs]));
  const skewMedian = median(skews)!;
  const totalMedian = median(totals);
  const syncs = runs.flatMap((x) => x.run.shards.parts.map((p) => p.sync));
  const maxOffset = Math.max(...syncs.map((s) => Math.abs(s.clockOffsetMs)));
  const maxRtt = Math.max(...syncs.map((s) => s.rttMs));
  out.push(
    `- **Start skew** (the latest shard's release minus the earliest's, per run, on shard 0's clock) over the ${runs.length} runs: min ${ms(Math.min(...skews))}, median ${ms(skewMedian)}, max ${ms(Math.max(...skews))}${m.maxStartSkewMs === Math.max(...skews) ? ' (`maxStartSkewMs`)' : ` (the file's \`maxStartSkewMs\` says ${ms(m.maxStartSkewMs)})`}.`,
    `- **Clock offsets** (each shard's clock minus shard 0's, measured before every run): at most ${ms(maxOffset)} in absolute value; each is right to within half the round trip it was measured over, at most ${ms(maxRtt / 2)} here (round trips up to ${ms(maxRtt)})${hosts.length === 1 && m.count > 1 ? '. The shards shared one host, so these offsets are the method\'s own error, not clocks apart' : ''}.`,
    '',
  );
  if (totalMedian !== null && skewMedian > SKEW_CAVEAT_SHARE * totalMedian) {
    out.push(`> **Caveat: the shards did not start together.** The median start skew, ${ms(skewMedian)}, is ${percent(skewMedian / totalMedian)} of the median merged total, ${ms(totalMedian)} (more than ${percent(SKEW_CAVEAT_SHARE)}): for that long in a typical run the server had only the earlier shards' clients, and each merged total includes the later shards' lateness. Differences between totals of that order may be the start, not the server.`, '');
  }

  // One row per shard. A shard's share of the clients depends only on N (the split is fixed), so it is given per N.
  const ns = [...new Set(runs.map((x) => x.clients))].sort((a, b) => a - b);
  const head = ['shard', 'host', open ? 'connections' : ns.length === 1 ? 'clients' : `clients at N = ${ns.join(', ')}`, ...(open ? ['rate share'] : []), 'own total, median', 'release error, median', 'loadgen CPU, median', 'busiest client process, max', 'saturated'];
  const rows = m.shards.map((s) => {
    const parts = runs.flatMap((x) => x.run.shards.parts.filter((p) => p.index === s.index).map((p) => ({ p, x })));
    const clients = ns.map((n) => parts.find(({ x }) => x.clients === n)?.p.clients).filter((c) => c !== undefined);
    // Open model: the shard's rate over the cells' rates, summed over its runs.
    const cellRate = sum(parts.map(({ x }) => x.run.open?.targetRate ?? 0));
    const saturated = parts.filter(({ p }) => p.loadgen.saturated).length;
    const busiest = Math.max(...parts.map(({ p }) => p.loadgen.maxClientUtilization ?? p.loadgen.maxProcessUtilization));
    return [
      String(s.index),
      `${md(s.host)}${s.node === null ? '' : ` (node ${md(s.node)})`}`,
      open ? [...new Set(clients)].join(', ') : clients.join(', '),
      ...(open ? [cellRate > 0 ? percent(sum(parts.map(({ p }) => p.targetRate ?? 0)) / cellRate) : '–'] : []),
      ms(median(parts.flatMap(({ p }) => (p.totalMs === null ? [] : [p.totalMs])))),
      ms(median(parts.map(({ p }) => p.sync.releaseErrorMs))),
      ms(median(parts.map(({ p }) => p.loadgen.cpuTotalMs))),
      parts.length ? percent(busiest) : '–',
      saturated === 0 ? 'no' : `yes, in ${saturated} of ${parts.length} runs`,
    ];
  });
  out.push(...table(head, head.map((_, i) => (i === 1 || i === head.length - 1 ? 'l' : 'r')), rows));
  out.push(
    `A shard's **release error** is how late it released its clients versus the start every shard agreed on, on shard 0's clock (negative: early). A merged run's total is measured from that agreed start to the last client's end on any shard, so a late shard's lateness is inside the total; a shard's **own total** runs from its own release. The CPU columns are each shard's own loadgen (the busiest client process as a share of one core); the merged run counts as loadgen-saturated if any shard was.`,
    '',
    `The environment in this report (machine, Node.js, load average, git commit) is shard 0's: the merge keeps only shard 0's, so the other shards' machines are not described in the file.`,
    '',
  );
  return out;
}

/** The section on a merged sharded sweep; empty when no input is one, so other reports are unchanged. */
export function shardSection(a: Analysis): string[] {
  const inputs = mergedInputs(a);
  if (inputs.length === 0) return [];
  const several = a.dataset.inputs.length > 1;
  return [`## ${SHARD_SECTION_TITLE}`, '', ...inputs.flatMap((i) => mergedInput(i.results, several ? [`### ${md(i.name)}`, ''] : []))];
}
