import type { SweepResults } from '@socketlab/results';
import type { Analysis } from '../analysis.ts';
import { code, duration, gib, md, percent } from '../format.ts';
import { table } from './table.ts';

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** The machine and the configuration of every input, side by side. */
export function environmentSection(a: Analysis): string[] {
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
  // The open model's settings (v2), only when some input used it: closed-only reports are unchanged.
  if (inputs.some((i) => i.results.config.model === 'open')) {
    cfg.push(
      row('load model', (r) => (r.config.model === 'open' ? 'open: requests arrive at a rate' : 'closed: N clients at once, each waits for its reply')),
      row('open model', (r) => {
        const o = r.config.open;
        if (!o) return '–';
        const rates = [...o.rates.map((x) => `${x}/s`), ...o.ratePercents.map((p) => `${p} % of capacity`)].join(', ');
        return `rates ${rates}; ${o.arrival} arrivals (seed ${o.seed}); ${o.durationMs} ms per run; ${o.connections} connections × ${o.maxInFlight} in flight; queue ${o.queueLimit}; drain ${o.drainMs} ms; probe ${o.probeMs} ms; rate tolerance ${percent(o.rateTolerance)}; pacing-lag threshold ${o.pacingLagThresholdMs} ms`;
      }),
    );
  }
  return [
    '## Environment and configuration',
    '',
    ...table(head, head.map(() => 'l'), env),
    ...table(head, head.map(() => 'l'), cfg),
  ];
}
