import type { ResolvedSweepConfig, SweepResults } from '@socketlab/loadgen';
import { BASELINE_DESIGN, type Analysis, type CellStats, type DesignAnalysis, type RunFlag, type WorkloadAnalysis } from './analysis.ts';
import { chartList, type ChartDefinition, type WorkloadCharts } from './charts.ts';
import { code, duration, gib, list, md, mib, num, percent, r2, seconds3, seconds6, times } from './format.ts';
import { costModelSentence, designProse, fastestSentence, nodeLimits, PROSE_RULES, slopeSentence, speedUpSentence, startupSentence } from './prose.ts';

/** What the Markdown needs besides the analysis. */
export interface MarkdownContext {
  readonly title: string;
  readonly charts: readonly WorkloadCharts[];
  readonly stopScalingFactor: number;
  readonly logScaleSpread: number;
}

/** Most loadgen warnings listed verbatim (the rest are counted). */
const MAX_WARNINGS = 20;
/** A 1-minute load average above this many per core means other work shared the machine. */
const BUSY_LOAD_PER_CORE = 0.5;

function image(c: ChartDefinition | null): string[] {
  return c ? [`![${md(c.alt)}](${c.name}.svg)`, ''] : [];
}

function table(head: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

/** The report's default title, from its inputs. */
export function defaultTitle(inputs: readonly { results: SweepResults }[]): string {
  if (inputs.length > 1) return `socketlab report: ${inputs.length} sweeps combined`;
  const preset = inputs[0]!.results.config.preset;
  return `socketlab report: ${preset === null ? 'custom' : preset} sweep`;
}

/** `10..100:10` for an evenly spaced list of at least 3 values, else `10,20,50`. */
function clientsFlag(clients: readonly number[]): string {
  const step = clients.length >= 3 ? clients[1]! - clients[0]! : 0;
  const even = step > 0 && clients.every((n, i) => i === 0 || n - clients[i - 1]! === step);
  return even ? `${clients[0]}..${clients[clients.length - 1]}${step === 1 ? '' : `:${step}`}` : clients.join(',');
}

/**
 * loadgen flags that reproduce a sweep's measurements. Everything that shapes the numbers is spelled
 * out from the recorded config, not taken from a preset or a default: those may change in a later
 * loadgen, the recorded values do not. Timeouts and the host are left at loadgen's defaults.
 */
export function sweepFlags(config: ResolvedSweepConfig): string[] {
  const flags: string[] = [];
  if (config.preset !== null) flags.push('--preset', config.preset);
  if (config.target) flags.push('--target', `${config.target.host.includes(':') ? `[${config.target.host}]` : config.target.host}:${config.target.port}`);
  else flags.push('--designs', config.designs.join(','));
  flags.push('--workloads', config.workloads.map((w) => w.name).join(','));
  flags.push('--clients', clientsFlag(config.clients));
  flags.push('--runs', String(config.runs), '--time-scale', String(config.timeScale), '--tasks-per-client', String(config.tasksPerClient));
  if (!config.target) flags.push('--server-lifecycle', config.serverLifecycle);
  flags.push('--client-mode', config.clientMode);
  if (config.clientMode === 'workers') flags.push('--loadgen-workers', String(config.loadgenWorkers));
  if (config.designs.some((x) => x === 'mp-pool' || x === 'mt-pool')) flags.push('--pool-size', String(config.poolSize));
  flags.push('--sample-interval-ms', String(config.sampleIntervalMs), '--saturation-threshold', String(config.saturationThreshold));
  return flags;
}

/** Longest line of a command in the reproduce section before it continues with `\`. */
const COMMAND_WIDTH = 88;

/** A shell command as lines of at most COMMAND_WIDTH characters, keeping each flag with its value. */
function commandLines(command: string, args: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = shellQuote(args[i]!);
    const next = args[i + 1];
    if (a.startsWith('--') && next !== undefined && !next.startsWith('--')) {
      words.push(`${a} ${shellQuote(next)}`);
      i++;
    } else {
      words.push(a);
    }
  }
  const lines: string[] = [];
  let line = command;
  for (const w of words) {
    if (line.length + 1 + w.length > COMMAND_WIDTH - 2) {
      lines.push(`${line} \\`);
      line = `  ${w}`;
    } else {
      line += ` ${w}`;
    }
  }
  lines.push(line);
  return lines;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:,=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The lesson's `10  -> 30.107380s` lines: median total time per N. */
export function lessonMedians(d: DesignAnalysis, clients: readonly number[]): string {
  const width = Math.max(...clients.map((n) => String(n).length));
  return clients
    .map((n) => {
      const m = d.cells.find((c) => c.clients === n)?.medianTotalMs ?? null;
      return `${String(n).padEnd(width)} -> ${m === null ? '-' : `${seconds6(m)}s`}`;
    })
    .join('\n');
}

/** The lesson's `Run1 -> …` lines: every run's total time (s), one column per N. */
export function lessonRuns(d: DesignAnalysis, clients: readonly number[]): string {
  const runs = Math.max(0, ...d.cells.map((c) => c.runs.length));
  const lines: string[] = [];
  const labelWidth = `Run${runs}`.length;
  for (let i = 0; i < runs; i++) {
    const values = clients.map((n) => {
      const r = d.cells.find((c) => c.clients === n)?.runs[i];
      return r && r.totalMs !== null ? seconds6(r.totalMs) : '-';
    });
    lines.push(`${`Run${i + 1}`.padEnd(labelWidth)} -> ${values.join(' ')}`);
  }
  return lines.join('\n');
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
  const head = ['design', 'marginal cost (ms per client)', 'intercept (ms)', 'R²', 'predicted (ms per client)', `stops scaling at (${a.stopScalingFactor}× rule)`];
  if (hasBase && n !== null) head.push(`speed-up at N = ${n}`);
  const rows = w.designs.map((d) => {
    const row = [
      d.design,
      d.fit ? num(d.fit.slope) : '–',
      d.fit ? num(d.fit.intercept) : '–',
      d.fit ? r2(d.fit.r2) : '–',
      d.model ? num(d.model.expectedSlopeMs) : '–',
      d.stop === null ? '–' : d.stop.n === null ? `not within N ≤ ${d.stop.maxN}` : `N = ${d.stop.n}`,
    ];
    if (hasBase && n !== null) {
      const s = d.speedUp.find((x) => x.clients === n);
      row.push(s ? times(s.value) : '–');
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

function workloadSection(a: Analysis, w: WorkloadAnalysis, charts: WorkloadCharts | undefined): string[] {
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
  out.push(`### Task latency (${wl.name})`, '', ...image(charts?.latency ?? null), ...latencyTable(w));
  out.push(`### Server CPU and memory (${wl.name})`, '', ...image(charts?.serverCpu ?? null), ...image(charts?.serverMemory ?? null), ...serverTable(w));
  return out;
}

function flagText(f: RunFlag): { flags: string; details: string } {
  const flags: string[] = [];
  if (f.incomplete) flags.push('incomplete');
  if (f.saturated) flags.push('loadgen saturated');
  if (f.errors.total > 0) flags.push(`${f.errors.total} error${f.errors.total === 1 ? '' : 's'}`);
  if (f.failedClients > 0) flags.push(`${f.failedClients} client${f.failedClients === 1 ? '' : 's'} failed`);
  const kinds: string[] = [];
  for (const k of ['refused', 'reset', 'closed', 'timeout', 'wrongResult', 'other'] as const) if (f.errors[k] > 0) kinds.push(`${k} ${f.errors[k]}`);
  for (const [c, count] of Object.entries(f.errors.protocol).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) kinds.push(`${c} ${count}`);
  const sample = f.errorSamples[0];
  return { flags: flags.join(', '), details: [kinds.join(', '), sample ? `first: ${code(sample.replace(/\|/g, '/'))}` : ''].filter(Boolean).join('; ') || '–' };
}

function flagsSection(a: Analysis): string[] {
  const out: string[] = ['## Flagged runs, errors and warnings', ''];
  const t = a.totals;
  const thresholds = [...new Set(a.dataset.inputs.map((i) => i.results.config.saturationThreshold))].map((x) => percent(x));
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
  out.push(`${t.runs} runs: ${t.completeRuns} complete, ${t.saturatedRuns} flagged by loadgen as saturated (its own CPU use reached ${list(thresholds)} of what it could use, so the run may understate the server), ${t.runsWithErrors} with errors (${t.errors} errors in all).`, '');
  if (a.flags.length === 0) {
    out.push('No run is flagged.', '');
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

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

function environmentSection(a: Analysis): string[] {
  const inputs = a.dataset.inputs;
  const head = ['', ...inputs.map((i) => `[${i.name}](${i.name})`)];
  const row = (label: string, f: (r: SweepResults) => string) => [label, ...inputs.map((i) => f(i.results))];
  const env = [
    row('written by', (r) => `${code(r.tool.name)} ${md(r.tool.version)}, schemaVersion ${r.schemaVersion}`),
    row('sweep started (UTC)', (r) => md(r.startedAt)),
    row('sweep duration', (r) => duration(r.durationMs)),
    row('complete', (r) => (r.complete ? 'yes' : `no (${md(r.abortReason ?? '?')})`)),
    row('Node.js / V8', (r) => `${md(r.environment.node)} / ${md(r.environment.v8)}`),
    ...(inputs.some((i) => i.results.environment.features !== undefined)
      ? [row('Node.js features (probed)', (r) => (r.environment.features === undefined ? 'not recorded' : `reusePort ${yesNo(r.environment.features.reusePort)}, socket transfer to worker threads ${yesNo(r.environment.features.socketTransfer)}`))]
      : []),
    row('OS', (r) => `${md(r.environment.platform)} ${md(r.environment.arch)}, kernel ${md(r.environment.osRelease)}`),
    row('CPU', (r) => `${md(r.environment.cpuModel)}: ${r.environment.cores} cores available (${r.environment.logicalCpus} logical CPUs)`),
    row('memory', (r) => gib(r.environment.totalMemoryBytes)),
    row('load average at start (1, 5, 15 min)', (r) => r.environment.loadAverage.map((x) => x.toFixed(2)).join(', ')),
    row('somaxconn', (r) => (r.environment.somaxconn === null ? 'unknown' : String(r.environment.somaxconn))),
    row('open files (soft / hard)', (r) => (r.environment.openFileLimit === null ? 'unknown' : `${r.environment.openFileLimit.soft ?? 'unlimited'} / ${r.environment.openFileLimit.hard ?? 'unlimited'}`)),
    row('/proc metrics', (r) => (r.environment.procfs ? 'yes' : 'no (no server CPU or memory)')),
    row('git commit', (r) => (r.environment.gitCommit === null ? 'unknown' : `${code(r.environment.gitCommit.slice(0, 12))}${r.environment.gitDirty ? ' (uncommitted changes)' : ''}`)),
    row('SHA-256 of the file', () => ''),
  ];
  env[env.length - 1] = ['SHA-256 of the file', ...inputs.map((i) => code(i.sha256.slice(0, 16)))];
  const cfg = [
    row('preset', (r) => (r.config.preset === null ? 'none' : r.config.preset)),
    row('scale', (r) => md(r.scale)),
    row('designs', (r) => r.config.designs.join(', ')),
    row('workloads', (r) => r.config.workloads.map((w) => `${w.name} (${w.tasks.map((t) => code(t)).join(', ')}; ${w.costModel})`).join('; ')),
    row('clients (N)', (r) => r.config.clients.join(', ')),
    row('runs per N', (r) => String(r.config.runs)),
    row('tasks per client', (r) => String(r.config.tasksPerClient)),
    row('client mode', (r) => (r.config.clientMode === 'workers' ? `workers: the clients are connections spread over ${r.config.loadgenWorkers} loadgen processes` : 'process: one OS process per client')),
    row('server lifecycle', (r) => (r.config.serverLifecycle === 'run' ? 'a fresh server per run' : 'one server per design × workload × N cell, shared by its runs')),
    row('pool size (mp-pool, mt-pool)', (r) => String(r.config.poolSize)),
    row('timeouts: connect / run / start / stop (ms)', (r) => `${r.config.connectTimeoutMs} / ${r.config.runTimeoutMs === 0 ? 'auto' : r.config.runTimeoutMs} / ${r.config.startTimeoutMs} / ${r.config.stopTimeoutMs}`),
    row('/proc sampling period (ms)', (r) => String(r.config.sampleIntervalMs)),
    row('saturation threshold', (r) => percent(r.config.saturationThreshold)),
  ];
  return [
    '## Environment and configuration',
    '',
    ...table(head, head.map(() => 'l'), env),
    ...table(head, head.map(() => 'l'), cfg),
  ];
}

function busyText(load: number, cores: number): string {
  return load > BUSY_LOAD_PER_CORE * cores
    ? `the 1-minute load average was ${load.toFixed(2)} when this sweep started, so other work shared the machine; an idle one gives cleaner numbers`
    : `idle: the 1-minute load average was ${load.toFixed(2)} when the sweep started`;
}

function reproduceSection(a: Analysis): string[] {
  const out: string[] = ['## How to reproduce', ''];
  const inputs = a.dataset.inputs;
  const first = inputs[0]!.results.environment;
  out.push(
    `On a machine like this one (${first.cores} cores; ${busyText(first.loadAverage[0] ?? 0, first.cores)}), from a clone of the socketlab repository:`,
    '',
    '```sh',
    'npm ci',
  );
  if (inputs.length === 1) {
    const flags = sweepFlags(inputs[0]!.results.config);
    out.push(
      `# the sweep: ${duration(inputs[0]!.results.durationMs)} here; writes results/latest.json`,
      ...commandLines('npx nx run loadgen:sweep --', flags),
      '# the report: copies results/latest.json to reports/quick/sweep.json and rebuilds the report there',
      'npx nx run report:build -- --latest',
      '```',
      '',
      'Without Nx (after `npx nx run-many -t build`), into a folder of your choice:',
      '',
      '```sh',
      ...commandLines('node packages/loadgen/bin.js', [...flags, '--out', 'my-sweep.json']),
      'node packages/report/bin.js --in my-sweep.json --out my-report',
      '```',
    );
  } else {
    out.push('npx nx run-many -t build');
    inputs.forEach((input) => out.push(...commandLines('node packages/loadgen/bin.js', [...sweepFlags(input.results.config), '--out', input.name])));
    out.push(`node packages/report/bin.js ${inputs.map((i) => `--in ${i.name}`).join(' ')} --out my-report`, '```');
  }
  out.push(
    '',
    `To rebuild this report from its own input (the folder holds it as ${list(inputs.map((i) => code(i.name)))}): \`npx nx run report:build\` for the shipped report in reports/quick/, or \`node packages/report/bin.js --out <this folder>\`. The same input gives byte-identical files.`,
    '',
  );
  return out;
}

function methodSection(ctx: MarkdownContext, a: Analysis): string[] {
  const r = PROSE_RULES;
  const k = String(ctx.stopScalingFactor);
  return [
    '## How this report reads the data',
    '',
    '- **Median**: of the total times of a cell\'s complete runs (the mean of the two middle ones for an even count), as in the lesson. Runs from several input files are pooled.',
    '- **Marginal cost**: the slope of the least-squares line through the medians against N, in ms per extra client; the intercept is that line at N = 0, and R² says how straight the curve is.',
    `- **Stops scaling**: at the first N whose median is at least ${k} × the median at the smallest N (${a.dataset.clients[0]}). "Not within N ≤ …" means it never got there in this sweep.`,
    '- **Cost model**: each task is blocking I/O (SLEEP), non-blocking I/O (WAIT), CPU (FIB) or instant (PING). A design runs a number of tasks at once ("lanes"): the iterative server 1; the event loop 1 for blocking and CPU tasks, all N for non-blocking ones; a process or thread per connection all N for blocking tasks but only as many CPU tasks as there are cores; a pool its size (CPU tasks: at most the cores). The predicted marginal cost is Σ share × tasks per client × task time ÷ lanes. A CPU task\'s time is the fastest task recorded for the workload (one round trip included).',
    `- **Which sentence applies**: the model "explains the curve" when the measured slope is within the largest of ${percent(r.modelTolerance)} of the prediction, ${percent(r.workTolerance)} of one client's work, and ${r.floorMs} ms. Above that the excess is per-client overhead, put down to start-up cost when the server's extra CPU per client, spread over the cores, covers at least ${percent(r.startupShare)} of it; below it, the design overlapped more than the model assumes.`,
    `- **Speed-up**: the iterative server's median ÷ the design's median at the same N.`,
    '- **Latency**: request written → reply received for each task (time queued in the server included), from the HDR histograms in the input: the histograms of a cell\'s complete runs are added, then p50, p90, p99 and max are read off; percentiles are never averaged.',
    '- **Server CPU and memory**: user + system CPU of the server\'s whole process tree during each run, and its peak summed RSS, sampled from /proc by loadgen; medians over the runs.',
    `- **Charts**: a chart uses a log y axis when its largest value is at least ${ctx.logScaleSpread} × its smallest (the subtitle says so); the per-design total-time charts are always linear from 0, like the lesson's.`,
    '- **Fastest**: the design with the lowest median total time at each N; the comparisons use the largest N every design has.',
    '',
  ];
}

/** The whole README.md of the report. */
export function renderMarkdown(a: Analysis, ctx: MarkdownContext): string {
  const ds = a.dataset;
  const inputs = ds.inputs;
  const first = inputs[0]!.results;
  const runsText = [...new Set(inputs.map((i) => i.results.config.runs))].join(' or ');
  const out: string[] = [
    `# ${md(ctx.title)}`,
    '',
    `This report was generated by \`@socketlab/report\` from ${list(inputs.map((i) => `[${i.name}](${i.name})`))}: ${ds.designs.length} server design${ds.designs.length === 1 ? '' : 's'} × ${ds.workloads.length} workload${ds.workloads.length === 1 ? '' : 's'} × N = ${list(ds.clients.map(String))} clients × ${runsText} run${runsText === '1' ? '' : 's'}, on ${md(first.environment.cpuModel)} (${first.environment.cores} cores), Node.js ${md(first.environment.node)}. ${md(first.scale)}. Every number and sentence below is computed from that data; the same input always gives the same report.`,
    '',
    '## Summary',
    '',
  ];
  for (const w of a.workloads) {
    const parts = [fastestSentence(w), slopeSentence(w)].filter((s): s is string => s !== null);
    out.push(`- **${w.workload.name}** (${list(w.workload.tasks.map((t) => code(t)))}, ${w.workload.costModel}): ${parts.join(' ')}`);
  }
  const t = a.totals;
  out.push(
    `- **Runs**: ${t.runs} in all; ${t.runs - t.completeRuns} incomplete, ${t.saturatedRuns} loadgen-saturated, ${t.runsWithErrors} with errors${a.flags.length ? ' (see "Flagged runs, errors and warnings")' : ''}.`,
    '',
  );
  const sections = [...a.workloads.map((w) => `Workload: ${w.workload.name}`), 'Flagged runs, errors and warnings', 'Environment and configuration', 'How to reproduce', 'What Node.js could not do', 'How this report reads the data'];
  out.push(`Sections: ${sections.map((s) => `[${s}](#${slug(s)})`).join(' · ')}.`, '');
  a.workloads.forEach((w, i) => out.push(...workloadSection(a, w, ctx.charts[i])));
  out.push(...flagsSection(a), ...environmentSection(a), ...reproduceSection(a));
  out.push('## What Node.js could not do', '', ...nodeLimits(a.dataset.inputs.map((i) => i.results.environment)).map((s) => `- ${s}`), '');
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
