import { InvalidOptionError } from '@socketlab/protocol';
import {
  choiceValue, helpText as skeletonHelp, integerValue, numberValue, parseCommandLine, reportError, runCli,
  type CliDefinition, type CliFlag, type ParsedCommandLine,
} from '@socketlab/protocol/cli';
import { CLIENT_MODES, DESIGNS, PRESET_NAMES, RUN_DEFINITIONS, SERVER_LIFECYCLES, WORKLOAD_NAMES, validateResults } from '@socketlab/results';
import { DEFAULT_ADAPTER_OPTIONS, PROTOCOLS, parseExpectation, type Expectation } from './adapters.ts';
import { parseServerSpec } from './external-servers.ts';
import { parseSourceAddresses } from './capacity.ts';
import { DEFAULT_SWEEP_OPTIONS, PRESETS, parseTarget, resolveConfig, type SweepOptions } from './options.ts';
import { clientsValue, expectValue, listValue, type LoadgenFlag } from './flag.ts';
import { EXIT_CODE_TABLE, LOADGEN_EXIT_CODES, verdict, type VerdictOptions } from './exit.ts';
import { writeResults } from './output.ts';
import { createProgress } from './progress.ts';
import { killAllServersSync } from './server-process.ts';
import { TargetProcess } from './target-process.ts';
import { runSweep } from './sweep/run-sweep.ts';
import { parseBudget } from './sweep/budget.ts';
import { SHARD_FLAGS, launcherMain, mergeMain, shardFlags, shardOutPath, shardSweepOptions, type ShardFlags } from './shard/cli.ts';
import { ShardSession } from './shard/session.ts';
import { mediansTable } from './table.ts';
import { OPEN_FLAGS } from './open/flags.ts';
import { openTable } from './open/table.ts';
import { THRESHOLD_METRICS, parseThreshold, type Threshold } from './thresholds.ts';

const BIN = 'socketlab-loadgen';

/** Exit codes after a signal stopped the sweep: 128 + the signal's number, as a shell reports it. */
const SIGNAL_EXIT_CODES = Object.freeze({ SIGINT: LOADGEN_EXIT_CODES.sigint, SIGTERM: LOADGEN_EXIT_CODES.sigterm });

const d = DEFAULT_SWEEP_OPTIONS;
const int = integerValue;

/** Every option flag, in --help order. Flags that a preset sets show `preset` as their default. */
export const FLAGS: readonly LoadgenFlag[] = [
  { flag: '--preset', option: 'preset', type: 'string', arg: '<name>', parse: choiceValue(PRESET_NAMES), help: 'starting point; the flags below override it (see Presets)', default: d.preset },
  { flag: '--designs', option: 'designs', type: 'string', arg: '<list>', parse: listValue(DESIGNS), help: `comma-separated server variants, or "all": ${DESIGNS.join(', ')}`, default: 'preset' },
  { flag: '--target', option: 'target', type: 'string', arg: '<host:port>', parse: (raw, flag) => parseTarget(raw, flag), help: 'sweep an external server that speaks the protocol instead (loadgen does not start or stop it)', default: 'none' },
  { flag: '--target-pid', type: 'string', arg: '<pid>', parse: int, help: 'with --target: the target server\'s process on this machine; its process tree is sampled like a server loadgen starts (each run\'s server CPU and memory) and its CPU is not counted as noise', default: 'none' },
  { flag: '--server', option: 'servers', type: 'string', multiple: true, arg: '<name=cmd>', parse: (raw, flag) => parseServerSpec(raw, flag), help: 'also sweep your own server: loadgen starts COMMAND ({port} → a free port, {host} → --host), measures and stops it like its own designs; repeatable. Alone (without --designs), only these servers run', default: 'none' },
  { flag: '--protocol', option: 'protocol', type: 'string', arg: '<name>', parse: choiceValue(PROTOCOLS), help: 'how clients talk to --server/--target servers: socketlab (docs/protocol.md), line (a request line, a reply line) or raw (the lesson\'s way: one write per task, the reply is what arrives)', default: 'socketlab' },
  { flag: '--expect', option: 'expect', type: 'string', multiple: true, arg: '<task=reply>', parse: expectValue, help: 'line/raw: what a task\'s reply must be, by task word: sleep=prefix:Slept, fib=/fib\\(\\d+\\) = \\d+/, ping=PONG (exact unless prefix:, regex: or /…/); repeatable', default: 'the lesson\'s replies' },
  { flag: '--exit-request', option: 'exitRequest', type: 'string', arg: '<text>', help: 'line/raw: what ends a session', default: DEFAULT_ADAPTER_OPTIONS.exitRequest },
  { flag: '--exit-reply', option: 'exitReply', type: 'string', arg: '<reply>', parse: (raw, flag) => parseExpectation(raw, flag), help: 'line/raw: the expected reply to --exit-request (exact unless prefix:, regex: or /…/)', default: DEFAULT_ADAPTER_OPTIONS.exitReply },
  { flag: '--raw-terminator', option: 'rawTerminator', type: 'string', arg: '<text>', parse: (raw) => raw.replaceAll('\\n', '\n').replaceAll('\\0', '\0'), help: 'raw: a reply ends at this text (\\n and \\0 understood)', default: 'none' },
  { flag: '--raw-bytes', option: 'rawBytes', type: 'string', arg: '<n>', parse: int, help: 'raw: a reply is exactly n bytes', default: 'none' },
  { flag: '--raw-gap-ms', option: 'rawGapMs', type: 'string', arg: '<ms>', parse: int, help: 'raw, with neither of the above: a reply ends after this long without a byte, unless its expected value already arrived, ms', default: String(DEFAULT_ADAPTER_OPTIONS.rawGapMs) },
  { flag: '--clients', option: 'clients', type: 'string', arg: '<list>', parse: clientsValue, help: 'client counts N: "10,20,50", or a range "10..100:10" (from..to:step; step 1 if omitted)', default: 'preset' },
  { flag: '--runs', option: 'runs', type: 'string', arg: '<n>', parse: int, help: 'runs per design × workload × N', default: 'preset' },
  { flag: '--budget', option: 'budgetMs', type: 'string', arg: '<duration>', parse: (raw, flag) => parseBudget(raw, flag), help: 'plan the sweep to fit this long (3m, 90s, 1m30s): drop interior N, then go to 2 runs, keeping every design and the smallest and largest N; time left goes to extra runs where two designs are not yet separated. 0 or none = no budget', default: 'preset (quick: 3m, else none)' },
  { flag: '--workloads', option: 'workloads', type: 'string', arg: '<list>', parse: listValue(WORKLOAD_NAMES), help: `comma-separated: sleep (blocking I/O), wait (non-blocking I/O), fib (CPU), mix, ping (instant)`, default: 'preset' },
  { flag: '--tasks-per-client', option: 'tasksPerClient', type: 'string', arg: '<n>', parse: int, help: 'workload tasks each client sends (one after another) before EXIT', default: 'preset' },
  { flag: '--time-scale', option: 'timeScale', type: 'string', arg: '<x>', parse: numberValue, help: 'task time = 3000 ms × x (1 = the lesson\'s SLEEP 3000); unitless, > 0', default: 'preset' },
  { flag: '--client-mode', option: 'clientMode', type: 'string', arg: '<mode>', parse: choiceValue(CLIENT_MODES), help: 'workers: clients are connections spread over --loadgen-workers processes; process: one OS process per client (the lesson\'s way)', default: d.clientMode },
  { flag: '--loadgen-workers', option: 'loadgenWorkers', type: 'string', arg: '<n>', parse: int, help: 'client processes in workers mode', default: String(d.loadgenWorkers) },
  { flag: '--run-definition', option: 'runDefinition', type: 'string', arg: '<def>', parse: choiceValue(RUN_DEFINITIONS), help: 'connect-then-release: every client connects, then all are released and the clock starts; release-then-connect: the clock starts, then each client connects (the lesson\'s start.sh)', default: d.runDefinition },
  { flag: '--server-lifecycle', option: 'serverLifecycle', type: 'string', arg: '<when>', parse: choiceValue(SERVER_LIFECYCLES), help: 'start a fresh server per run, or per design × workload × N cell', default: 'preset' },
  { flag: '--pool-size', option: 'poolSize', type: 'string', arg: '<n>', parse: int, help: 'processes/threads of mp-pool and mt-pool', default: `${d.poolSize} (one per core)` },
  { flag: '--host', option: 'host', type: 'string', arg: '<addr>', help: 'address the started servers listen on', default: d.host },
  { flag: '--source-addresses', option: 'sourceAddresses', type: 'string', arg: '<spec>', parse: (raw, flag) => parseSourceAddresses(raw, flag), help: 'addresses the clients connect from: a count N (127.0.0.1 … 127.0.0.N), addresses and ranges "127.0.0.1-127.0.0.8,127.0.1.1", or auto (the OS picks; 127.0.0.x spread when N outgrows one address\'s ports)', default: 'auto' },
  { flag: '--connect-timeout-ms', option: 'connectTimeoutMs', type: 'string', arg: '<ms>', parse: int, help: 'a client not connected after this long fails (timeout), ms', default: String(d.connectTimeoutMs) },
  { flag: '--run-timeout-ms', option: 'runTimeoutMs', type: 'string', arg: '<ms>', parse: int, help: 'a client not done this long after the release fails (timeout), ms; 0 = 30 s + 3 × N × tasks × task time', default: String(d.runTimeoutMs) },
  { flag: '--start-timeout-ms', option: 'startTimeoutMs', type: 'string', arg: '<ms>', parse: int, help: 'longest wait for a server (or client process) to be ready, ms', default: String(d.startTimeoutMs) },
  { flag: '--stop-timeout-ms', option: 'stopTimeoutMs', type: 'string', arg: '<ms>', parse: int, help: 'after SIGTERM, time a server gets before SIGKILL, ms', default: String(d.stopTimeoutMs) },
  { flag: '--sample-interval-ms', option: 'sampleIntervalMs', type: 'string', arg: '<ms>', parse: int, help: 'period of server process-tree sampling (/proc), ms', default: String(d.sampleIntervalMs) },
  { flag: '--saturation-threshold', option: 'saturationThreshold', type: 'string', arg: '<x>', parse: numberValue, help: 'flag a run saturated when one client process\'s CPU time reaches this fraction of one core over the run; 0–1', default: String(d.saturationThreshold) },
  { flag: '--event-loop-delay-threshold-ms', option: 'eventLoopDelayThresholdMs', type: 'string', arg: '<ms>', parse: numberValue, help: 'flag a run saturated when a client process\'s event loop ran this late at the 99th percentile, ms', default: String(d.eventLoopDelayThresholdMs) },
  { flag: '--noise-threshold', option: 'noiseThreshold', type: 'string', arg: '<x>', parse: numberValue, help: 'a run is noisy when other processes use more than this share of the machine\'s CPU during it; 0–1', default: String(d.noiseThreshold) },
  { flag: '--noise-retries', option: 'noiseRetries', type: 'string', arg: '<n>', parse: int, help: 're-runs of a noisy run; the quietest attempt is kept, a still-noisy one is flagged', default: String(d.noiseRetries) },
  { flag: '--quiet-wait-ms', option: 'quietWaitMs', type: 'string', arg: '<ms>', parse: int, help: 'before each run attempt, wait at most this long for a quiet window, ms; 0 = no wait', default: String(d.quietWaitMs) },
  { flag: '--quiet-window-ms', option: 'quietWindowMs', type: 'string', arg: '<ms>', parse: int, help: 'length of a quiet window, and the shortest window a run\'s foreign CPU is read over, ms', default: String(d.quietWindowMs) },
  ...OPEN_FLAGS,
];

/** The flags that decide the exit code (see EXIT_CODE_TABLE). */
const VERDICT_FLAGS: readonly CliFlag[] = [
  { flag: '--threshold', type: 'string', multiple: true, arg: '<expr>', parse: (raw, flag) => parseThreshold(raw, flag), help: 'fail (exit 4) unless [design[:workload[:N]]:]metric<value holds, e.g. mt-pool:sleep:total.median<2s or p99<50ms; repeatable (see Thresholds)' },
  { flag: '--allow-errors', type: 'boolean', help: 'client errors (refused, reset, timeouts, ERR replies, wrong values) do not fail the sweep (no exit 3)' },
  { flag: '--fail-on-noise', type: 'boolean', help: 'exit 5 when a run stays noisy after its retries' },
];

/** The flags that shape the CLI's output rather than the sweep. */
const OUTPUT_FLAGS: readonly CliFlag[] = [
  { flag: '--out', short: '-o', type: 'string', arg: '<file>', help: 'write the results here (default: results/sweep-<timestamp>.json + results/latest.json under the socketlab workspace root, else under the current directory)' },
  { flag: '--json', type: 'boolean', help: 'write the results JSON to stdout only (no file unless --out)' },
  { flag: '--no-progress', type: 'boolean', help: 'no progress bar / progress lines' },
  { flag: '--quiet', short: '-q', type: 'boolean', help: 'no progress and no summary; errors only' },
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
  /** --shard, --rendezvous, --rendezvous-timeout-ms; null when the sweep is not sharded. */
  shard: ShardFlags | null;
  /** --target-pid: the --target server's process here, to sample; null when not given. */
  targetPid: number | null;
  /** What decides the exit code: --threshold, --allow-errors, --fail-on-noise. */
  verdict: VerdictOptions;
  options: SweepOptions;
}

function presetLines(): string[] {
  const row = (left: string, right: string) => `  ${left.padEnd(34)} ${right}`;
  return PRESET_NAMES.map((name) => {
    const p = PRESETS[name];
    return [
      row(name, p.description),
      row('', `designs ${p.designs.join(',')}${p.servers ? ` + servers ${p.servers.map((x) => x.split('=')[0]).join(',')} (protocol ${p.protocol})` : ''}; workloads ${p.workloads.join(',')}; clients ${p.clients.join(',')}`),
      row('', `runs ${p.runs}${p.budgetMs ? ` (budget ${p.budgetMs / 60_000} min)` : ''}; time scale ${p.timeScale} (${Math.max(1, Math.round(3000 * p.timeScale))} ms tasks); ${p.tasksPerClient} task(s) per client; server per ${p.serverLifecycle}`),
    ].join('\n');
  });
}

const CLI: CliDefinition = {
  bin: BIN,
  summary: [
    'Sweeps socketlab server designs × client counts × runs × workloads, the lesson\'s benchmark: each run',
    'releases N clients at once; each sends its tasks (waiting for each reply) and EXIT; the run\'s total time',
    'is release → the last client\'s Goodbye! (by default the clients connect before the release: see',
    '--run-definition). loadgen starts each server variant itself (--port 0), stops it with SIGTERM and checks',
    'nothing was left behind. Results: one JSON document (schema.json).',
  ],
  flags: [...FLAGS, ...SHARD_FLAGS, ...VERDICT_FLAGS, ...OUTPUT_FLAGS],
  packageJson: new URL('../package.json', import.meta.url),
  positionalHint: 'flags start with --',
  epilogue: [
    'Presets:',
    ...presetLines(),
    '',
    'Progress goes to stderr: a bar on a terminal, one line per run otherwise. Ctrl-C stops cleanly: the',
    'current run is abandoned, servers and clients are stopped, the partial results are written with',
    '"complete": false, and the exit code is 130.',
    '',
    'Noise: before each run loadgen waits (at most --quiet-wait-ms) for a --quiet-window-ms window in which',
    'processes outside its own and the server\'s process trees use at most --noise-threshold of the machine\'s',
    'CPU; a run above it is run again (--noise-retries), the quietest attempt is kept and a still-noisy one',
    'is flagged ("noise" in each run). The report withholds rankings that rest on noisy runs.',
    '',
    'Saturation: a run is flagged "saturated" (loadgen, not the server, may have set its pace) when one client',
    'process used --saturation-threshold of a core over its part of the run, or its event loop ran timers',
    '--event-loop-delay-threshold-ms late at the 99th percentile. Both inputs are recorded per run.',
    '',
    'Thresholds: --threshold \'[design[:workload[:N]]:]metric op value\'. design, workload and N may be * or',
    `left out (they match every cell). metric: ${THRESHOLD_METRICS.join(', ')} (p50, p90, p99 are`,
    'aliases of latency.*); op: < <= > >=; value: a number with us, ms (default) or s (errors: a count).',
    'A threshold fails when a cell it selects breaks it or has no value, or when it selects no cell.',
    '',
    'Sharded runs: --shard i/n --rendezvous host:port --target … on n machines, then',
    `${BIN} merge <shard files> --out <file> (exact); ${BIN} launcher slurm|k8s prints a Slurm batch`,
    'script or a Kubernetes Indexed Job for it (--help on each). See docs/distributed.md.',
    '',
    'Exit codes (the first that applies; under --quiet one line on stderr still says why):',
    ...EXIT_CODE_TABLE.map(([code, text]) => `  ${String(code).padEnd(4)}${text}`),
    'Results format: https://github.com/socketlab/socketlab/blob/main/docs/results-format.md',
  ],
};

/**
 * `npx nx run loadgen:sweep --args="--preset seed"`: Nx's run-script executor forwards --args verbatim
 * (only run-commands splits it), so split it here; `nx run loadgen:sweep -- --preset seed` needs nothing.
 */
function splitNxArgs(input: readonly string[]): string[] {
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
  return argv;
}

/** Repeated --expect flags arrive as [word, expectation] pairs; the API takes an object. */
function withExpectObject(options: Record<string, unknown>): Record<string, unknown> {
  const pairs = options.expect as [string, Expectation][] | undefined;
  return pairs === undefined ? options : { ...options, expect: Object.fromEntries(pairs) };
}

function toParsedArgs(p: ParsedCommandLine): ParsedArgs {
  const quiet = p.flags.quiet === true;
  return {
    help: p.help,
    version: p.version,
    json: p.flags.json === true,
    quiet,
    progress: !quiet && p.flags['no-progress'] !== true,
    out: typeof p.flags.out === 'string' ? p.flags.out : null,
    shard: shardFlags(p.flags),
    targetPid: (p.flags['target-pid'] as number | undefined) ?? null,
    verdict: {
      thresholds: (p.flags.threshold as Threshold[] | undefined) ?? [],
      allowErrors: p.flags['allow-errors'] === true,
      failOnNoise: p.flags['fail-on-noise'] === true,
    },
    options: withExpectObject(p.options) as SweepOptions,
  };
}

/**
 * Parses argv into SweepOptions and CLI settings. Exported for tests. Throws InvalidOptionError naming
 * the flag; values are only checked for syntax here, resolveConfig() checks their ranges.
 */
export function parseArgs(input: readonly string[]): ParsedArgs {
  return toParsedArgs(parseCommandLine(splitNxArgs(input), CLI.flags, CLI));
}

export function helpText(): string {
  return skeletonHelp(CLI, CLI.flags);
}

function summaryText(results: Awaited<ReturnType<typeof runSweep>>, paths: string[]): string {
  const lines = ['', results.config.model === 'open' ? openTable(results) : mediansTable(results), results.scale];
  if (paths.length) lines.push(`results: ${paths.join(' (copy: ') + (paths.length > 1 ? ')' : '')}`);
  if (results.warnings.length) lines.push(`${results.warnings.length} warning(s), see "warnings" in the results`);
  const noisy = results.cells.flatMap((c) => c.runs).filter((r) => r.noise?.noisy).length;
  if (noisy) lines.push(`${noisy} noisy run(s): other work shared the machine (see each run's "noise")`);
  return lines.join('\n') + '\n';
}

/**
 * Runs the CLI. Exit codes: see EXIT_CODE_TABLE (exit.ts), decided by verdict(). A second Ctrl-C kills the servers and exits at once.
 */
export async function main(argv: string[]): Promise<void> {
  let split: string[];
  try {
    split = splitNxArgs(argv);
  } catch (err) {
    process.exitCode = reportError(CLI, err);
    return;
  }
  // Subcommands of sharded sweeps (shard/cli.ts): merge the shards' files; print a Slurm or Kubernetes launcher.
  if (split[0] === 'merge') return mergeMain(split.slice(1));
  if (split[0] === 'launcher') return launcherMain(split.slice(1), (args) => void parseArgs(args));
  await runCli(split, CLI, (p) => sweep(toParsedArgs(p)));
}

async function sweep(parsed: ParsedArgs): Promise<number> {
  // A range the API refuses is a usage error too: the skeleton rewords it to name the flag.
  const config = resolveConfig(parsed.shard ? shardSweepOptions(parsed.options) : parsed.options);
  // Checked here too, to name the flag, and before a shard keeps the others waiting at the rendezvous.
  if (parsed.targetPid !== null) TargetProcess.attach(parsed.targetPid, config.target);
  // A shard first meets the others (shard/session.ts): a missing shard fails here, before any run.
  const session = parsed.shard ? await ShardSession.open(parsed.shard.identity, config, parsed.shard.rendezvous, { timeoutMs: parsed.shard.timeoutMs }) : null;
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    signals++;
    if (signals === 1) {
      if (!parsed.quiet) process.stderr.write(`\n${BIN}: ${signal}: stopping the current run; partial results will be written (${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to quit at once)\n`);
      controller.abort(signal);
    } else {
      killAllServersSync();
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const progress = parsed.progress ? createProgress(process.stderr) : null;
  try {
    let results = await runSweep(config, { signal: controller.signal, onProgress: progress ? (e) => progress.onProgress(e) : undefined, shard: session?.hooks, ...(parsed.targetPid === null ? {} : { targetPid: parsed.targetPid }) });
    progress?.stop();
    if (session) results = session.annotate(results);
    const check = validateResults(results);
    let paths: string[] = [];
    if (parsed.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    if (!parsed.json || parsed.out) paths = writeResults(results, { out: session ? shardOutPath(parsed.out, session) : parsed.out });
    if (!parsed.quiet && !parsed.json) process.stdout.write(summaryText(results, paths));
    if (!check.ok) process.stderr.write(`${BIN}: schema errors:\n${check.errors.slice(0, 20).map((e) => `  ${e.path} ${e.message}`).join('\n')}\n`);
    const outcome = verdict(results, check.ok, parsed.verdict);
    // One line, even with --quiet: a CI log must say why the job failed.
    if (outcome.reason !== null) process.stderr.write(`${BIN}: exit ${outcome.code}: ${outcome.reason}\n`);
    return outcome.code;
  } catch (err) {
    progress?.stop();
    throw err;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await session?.close();
  }
}
