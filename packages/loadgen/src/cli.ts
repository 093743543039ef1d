import { InvalidOptionError, SocketlabError } from '@socketlab/protocol';
import { DEFAULT_SWEEP_OPTIONS, PRESETS, parseTarget, resolveConfig, type SweepOptions } from './options.ts';
import { writeResults } from './output.ts';
import { createProgress } from './progress.ts';
import { CLIENT_MODES, DESIGNS, PRESET_NAMES, SERVER_LIFECYCLES, WORKLOAD_NAMES, type ResolvedSweepConfig } from './schema.ts';
import { killAllServersSync } from './server-process.ts';
import { VERSION, runSweep } from './sweep.ts';
import { mediansTable } from './table.ts';
import { validateResults } from './validate.ts';

const BIN = 'socketlab-loadgen';

type FlagType = 'int' | 'number' | 'string' | 'choice' | 'list' | 'clients' | 'target';

/** One command-line flag. `key` is the SweepOptions field it sets. */
export interface LoadgenFlag {
  flag: string;
  key: keyof SweepOptions;
  type: FlagType;
  value: string;
  help: string;
  default: string;
  choices?: readonly string[];
}

const d = DEFAULT_SWEEP_OPTIONS;

/** Every option flag, in --help order. Flags that a preset sets show `preset` as their default. */
export const FLAGS: readonly LoadgenFlag[] = [
  { flag: '--preset', key: 'preset', type: 'choice', value: '<name>', choices: PRESET_NAMES, help: 'starting point; the flags below override it (see Presets)', default: d.preset },
  { flag: '--designs', key: 'designs', type: 'list', value: '<list>', choices: DESIGNS, help: `comma-separated server variants, or "all": ${DESIGNS.join(', ')}`, default: 'preset' },
  { flag: '--target', key: 'target', type: 'target', value: '<host:port>', help: 'sweep an external server that speaks the protocol instead (loadgen does not start or stop it)', default: 'none' },
  { flag: '--clients', key: 'clients', type: 'clients', value: '<list>', help: 'client counts N: "10,20,50", or a range "10..100:10" (from..to:step; step 1 if omitted)', default: 'preset' },
  { flag: '--runs', key: 'runs', type: 'int', value: '<n>', help: 'runs per design × workload × N', default: 'preset' },
  { flag: '--workloads', key: 'workloads', type: 'list', value: '<list>', choices: WORKLOAD_NAMES, help: `comma-separated: sleep (blocking I/O), wait (non-blocking I/O), fib (CPU), mix, ping (instant)`, default: 'preset' },
  { flag: '--tasks-per-client', key: 'tasksPerClient', type: 'int', value: '<n>', help: 'workload tasks each client sends (one after another) before EXIT', default: 'preset' },
  { flag: '--time-scale', key: 'timeScale', type: 'number', value: '<x>', help: 'task time = 3000 ms × x (1 = the lesson\'s SLEEP 3000); unitless, > 0', default: 'preset' },
  { flag: '--client-mode', key: 'clientMode', type: 'choice', value: '<mode>', choices: CLIENT_MODES, help: 'workers: clients are connections spread over --loadgen-workers processes; process: one OS process per client (the lesson\'s way)', default: d.clientMode },
  { flag: '--loadgen-workers', key: 'loadgenWorkers', type: 'int', value: '<n>', help: 'client processes in workers mode', default: String(d.loadgenWorkers) },
  { flag: '--server-lifecycle', key: 'serverLifecycle', type: 'choice', value: '<when>', choices: SERVER_LIFECYCLES, help: 'start a fresh server per run, or per design × workload × N cell', default: 'preset' },
  { flag: '--pool-size', key: 'poolSize', type: 'int', value: '<n>', help: 'processes/threads of mp-pool and mt-pool', default: `${d.poolSize} (one per core)` },
  { flag: '--host', key: 'host', type: 'string', value: '<addr>', help: 'address the started servers listen on', default: d.host },
  { flag: '--connect-timeout-ms', key: 'connectTimeoutMs', type: 'int', value: '<ms>', help: 'a client not connected after this long fails (timeout), ms', default: String(d.connectTimeoutMs) },
  { flag: '--run-timeout-ms', key: 'runTimeoutMs', type: 'int', value: '<ms>', help: 'a client not done this long after the release fails (timeout), ms; 0 = 30 s + 3 × N × tasks × task time', default: String(d.runTimeoutMs) },
  { flag: '--start-timeout-ms', key: 'startTimeoutMs', type: 'int', value: '<ms>', help: 'longest wait for a server (or client process) to be ready, ms', default: String(d.startTimeoutMs) },
  { flag: '--stop-timeout-ms', key: 'stopTimeoutMs', type: 'int', value: '<ms>', help: 'after SIGTERM, time a server gets before SIGKILL, ms', default: String(d.stopTimeoutMs) },
  { flag: '--sample-interval-ms', key: 'sampleIntervalMs', type: 'int', value: '<ms>', help: 'period of server process-tree sampling (/proc), ms', default: String(d.sampleIntervalMs) },
  { flag: '--saturation-threshold', key: 'saturationThreshold', type: 'number', value: '<x>', help: 'flag a run when loadgen\'s CPU use reaches this fraction of what it can use; 0–1', default: String(d.saturationThreshold) },
];

export interface ParsedArgs {
  help: boolean;
  version: boolean;
  /** Write the results JSON to stdout (and to no file unless --out is given). */
  json: boolean;
  /** No progress and no summary; errors only. */
  quiet: boolean;
  /** Progress display (off with --no-progress or --quiet). */
  progress: boolean;
  /** --out: the results file; null for the default location. */
  out: string | null;
  options: SweepOptions;
}

function parseList(flag: string, raw: string, choices: readonly string[]): string[] {
  if (raw === 'all' && flag === '--designs') return [...choices];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidOptionError(`${flag} needs at least one value`);
  for (const item of items) {
    if (!choices.includes(item)) throw new InvalidOptionError(`${flag}: unknown value "${item}"; expected one of ${choices.join(', ')}`);
  }
  return items;
}

const INT = /^[0-9]+$/;

function parseClients(raw: string): number[] {
  const out: number[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)\.\.(\d+)(?::(\d+))?$/.exec(part);
    if (range) {
      const [from, to, step] = [Number(range[1]), Number(range[2]), Number(range[3] ?? 1)];
      if (step < 1 || to < from) throw new InvalidOptionError(`--clients: range "${part}" must go up with a step >= 1`);
      if ((to - from) / step > 10_000) throw new InvalidOptionError(`--clients: range "${part}" has too many values`);
      for (let n = from; n <= to; n += step) out.push(n);
    } else if (INT.test(part)) {
      out.push(Number(part));
    } else {
      throw new InvalidOptionError(`--clients: "${part}" is neither a count nor a range like 10..100:10`);
    }
  }
  if (out.length === 0) throw new InvalidOptionError('--clients needs at least one value');
  return out;
}

/**
 * Parses argv into SweepOptions and CLI settings. Exported for tests. Throws InvalidOptionError naming
 * the flag; values are only checked for syntax here, resolveConfig() checks their ranges.
 */
export function parseArgs(input: readonly string[]): ParsedArgs {
  // `npx nx run loadgen:sweep --args="--preset seed"`: Nx's run-script executor forwards --args verbatim
  // (only run-commands splits it), so split it here; `nx run loadgen:sweep -- --preset seed` needs nothing.
  const argv: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const arg = input[i]!;
    if (arg === '--args' || arg.startsWith('--args=')) {
      const value = arg === '--args' ? input[++i] : arg.slice('--args='.length);
      if (value === undefined) throw new InvalidOptionError('--args needs a value');
      argv.push(...value.trim().split(/\s+/).filter(Boolean));
    } else {
      argv.push(arg);
    }
  }
  const parsed: ParsedArgs = { help: false, version: false, json: false, quiet: false, progress: true, out: null, options: {} };
  const opts = parsed.options as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') { parsed.help = true; continue; }
    if (arg === '--version' || arg === '-v') { parsed.version = true; continue; }
    if (arg === '--json') { parsed.json = true; continue; }
    if (arg === '--quiet' || arg === '-q') { parsed.quiet = true; continue; }
    if (arg === '--no-progress') { parsed.progress = false; continue; }
    if (arg === '--') continue; // npm/nx pass-through separator
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const takeValue = (): string => {
      const v = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (v === undefined || v === '' || (eq === -1 && v.startsWith('--'))) throw new InvalidOptionError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--out' || flag === '-o') { parsed.out = takeValue(); continue; }
    const spec = FLAGS.find((f) => f.flag === flag);
    if (!spec) throw new InvalidOptionError(flag.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument ${JSON.stringify(arg)}; flags start with --`);
    const raw = takeValue();
    switch (spec.type) {
      case 'int':
        if (!INT.test(raw)) throw new InvalidOptionError(`${flag} must be a non-negative integer (got ${JSON.stringify(raw)})`);
        opts[spec.key] = Number(raw);
        break;
      case 'number':
        if (!/^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(raw)) throw new InvalidOptionError(`${flag} must be a number (got ${JSON.stringify(raw)})`);
        opts[spec.key] = Number(raw);
        break;
      case 'choice':
        if (!spec.choices!.includes(raw)) throw new InvalidOptionError(`${flag} must be one of ${spec.choices!.join(', ')} (got ${JSON.stringify(raw)})`);
        opts[spec.key] = raw;
        break;
      case 'list':
        opts[spec.key] = parseList(flag, raw, spec.choices!);
        break;
      case 'clients':
        opts[spec.key] = parseClients(raw);
        break;
      case 'target':
        opts[spec.key] = parseTarget(raw, flag);
        break;
      case 'string':
        opts[spec.key] = raw;
        break;
    }
  }
  if (parsed.quiet) parsed.progress = false;
  return parsed;
}

export function helpText(): string {
  const row = (left: string, right: string) => `  ${left.padEnd(34)} ${right}`;
  const presets = PRESET_NAMES.map((name) => {
    const p = PRESETS[name];
    return [
      row(name, p.description),
      row('', `designs ${p.designs.join(',')}; workloads ${p.workloads.join(',')}; clients ${p.clients.join(',')}`),
      row('', `runs ${p.runs}; time scale ${p.timeScale} (${Math.max(1, Math.round(3000 * p.timeScale))} ms tasks); ${p.tasksPerClient} task(s) per client; server per ${p.serverLifecycle}`),
    ].join('\n');
  });
  return [
    `Usage: ${BIN} [options]`,
    '',
    'Sweeps socketlab server designs × client counts × runs × workloads, the lesson\'s benchmark: each run',
    'releases N clients at once; each sends its tasks (waiting for each reply) and EXIT; the run\'s total time',
    'is release → the last client\'s Goodbye!. loadgen starts each server variant itself (--port 0), stops it',
    'with SIGTERM and checks nothing was left behind. Results: one JSON document (schema.json).',
    '',
    'Options:',
    ...FLAGS.map((f) => row(`${f.flag} ${f.value}`, `${f.help} (default: ${f.default})`)),
    row('-o, --out <file>', 'write the results here (default: results/sweep-<timestamp>.json + results/latest.json under the socketlab workspace root, else under the current directory)'),
    row('--json', 'write the results JSON to stdout only (no file unless --out)'),
    row('--no-progress', 'no progress bar / progress lines'),
    row('-q, --quiet', 'no progress and no summary; errors only'),
    row('-v, --version', 'print the version'),
    row('-h, --help', 'print this help'),
    '',
    'Presets:',
    ...presets,
    '',
    'Progress goes to stderr: a bar on a terminal, one line per run otherwise. Ctrl-C stops cleanly: the',
    'current run is abandoned, servers and clients are stopped, the partial results are written with',
    '"complete": false, and the exit code is 130.',
    'Exit codes: 0 done, 1 failed or invalid results, 2 bad usage, 130 interrupted (SIGINT), 143 (SIGTERM).',
    'Results format: https://github.com/socketlab/socketlab/blob/main/docs/results-format.md',
  ].join('\n');
}

function summaryText(results: Awaited<ReturnType<typeof runSweep>>, paths: string[]): string {
  const lines = ['', mediansTable(results), results.scale];
  if (paths.length) lines.push(`results: ${paths.join(' (copy: ') + (paths.length > 1 ? ')' : '')}`);
  if (results.warnings.length) lines.push(`${results.warnings.length} warning(s), see "warnings" in the results`);
  return lines.join('\n') + '\n';
}

/**
 * Runs the CLI. Exit codes: 0 done, 1 failure or invalid results, 2 bad usage, 130 interrupted by
 * SIGINT, 143 by SIGTERM. A second Ctrl-C kills the servers and exits at once.
 */
export async function main(argv: string[]): Promise<void> {
  let parsed: ParsedArgs;
  let config: ResolvedSweepConfig;
  try {
    parsed = parseArgs(argv);
    if (parsed.help) {
      process.stdout.write(helpText() + '\n');
      return;
    }
    if (parsed.version) {
      process.stdout.write(VERSION + '\n');
      return;
    }
    config = resolveConfig(parsed.options);
  } catch (err) {
    process.stderr.write(`${BIN}: ${(err as Error).message}\nRun '${BIN} --help' for usage.\n`);
    process.exitCode = 2;
    return;
  }

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    signals++;
    if (signals === 1) {
      if (!parsed.quiet) process.stderr.write(`\n${BIN}: ${signal}: stopping the current run; partial results will be written (${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to quit at once)\n`);
      controller.abort(signal);
    } else {
      killAllServersSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const progress = parsed.progress ? createProgress(process.stderr) : null;
  try {
    const results = await runSweep(config, { signal: controller.signal, onProgress: progress ? (e) => progress.onProgress(e) : undefined });
    progress?.stop();
    const check = validateResults(results);
    let paths: string[] = [];
    if (parsed.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    if (!parsed.json || parsed.out) paths = writeResults(results, { out: parsed.out });
    if (!parsed.quiet && !parsed.json) process.stdout.write(summaryText(results, paths));
    if (!check.ok) {
      process.stderr.write(`${BIN}: the results do not match the schema (written anyway):\n${check.errors.slice(0, 20).map((e) => `  ${e.path} ${e.message}`).join('\n')}\n`);
      process.exitCode = 1;
    } else if (results.abortReason === 'SIGINT') {
      process.exitCode = 130;
    } else if (results.abortReason === 'SIGTERM') {
      process.exitCode = 143;
    } else if (!results.complete) {
      process.stderr.write(`${BIN}: incomplete: ${results.abortReason}\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    progress?.stop();
    const e = err as Error;
    const usage = err instanceof SocketlabError && err.code === 'SOCKETLAB_ERR_INVALID_OPTION';
    process.stderr.write(`${BIN}: ${usage ? '' : 'failed: '}${e.message}\n`);
    process.exitCode = usage ? 2 : 1;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
