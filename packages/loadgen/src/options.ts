import { availableParallelism } from 'node:os';
import { InvalidOptionError, checkInteger, checkKnownKeys, checkOneOf, checkString, deepFreeze } from '@socketlab/protocol';
import {
  CLIENT_MODES, DESIGNS, PRESET_NAMES, SERVER_LIFECYCLES, WORKLOAD_NAMES,
  type ClientMode, type DesignLabel, type DesignName, type PresetName, type ResolvedSweepConfig, type ServerLifecycle, type WorkloadName,
} from '@socketlab/results';
import { checkSourceAddresses, type SourceAddressesOption } from './capacity.ts';
import { resolveWorkload, scaledTaskMs } from './workloads.ts';

/**
 * Options of a sweep, all optional. They are applied over a preset (`quick` unless `preset` says
 * otherwise), which is applied over DEFAULT_SWEEP_OPTIONS. `resolveConfig()` checks only the fields
 * given, names the field and the rule in its message, and returns a frozen ResolvedSweepConfig.
 */
export interface SweepOptions {
  /** Starting point: `quick` (default), `seed` (the lesson's exact parameters) or `smoke` (seconds). */
  preset?: PresetName;
  /** Server variants loadgen starts, in sweep order. Cannot be combined with `target`. */
  designs?: readonly DesignName[];
  /** An external server that speaks the protocol (`host:port`, or `{ host, port }`); loadgen does not start it. */
  target?: string | { host: string; port: number } | null;
  /** Client counts N, in sweep order. */
  clients?: readonly number[];
  /** Runs per design × workload × N cell. */
  runs?: number;
  /** Workloads, in sweep order. */
  workloads?: readonly WorkloadName[];
  /** Workload tasks each client sends before EXIT. */
  tasksPerClient?: number;
  /** Multiplier of the nominal 3000 ms task time (unitless, > 0). */
  timeScale?: number;
  /** `workers` (connections spread over `loadgenWorkers` processes) or `process` (one process per client). */
  clientMode?: ClientMode;
  /** Client worker processes in `workers` mode. */
  loadgenWorkers?: number;
  /** `run`: a fresh server per run; `cell`: one server per design × workload × N cell. */
  serverLifecycle?: ServerLifecycle;
  /** Processes or threads of the pool designs (passed as --pool-size). */
  poolSize?: number;
  /** Address started servers listen on and clients connect to. */
  host?: string;
  /**
   * Local addresses the clients connect from, client i from the (i mod length)-th; `auto`: the OS picks,
   * unless N clients to a loopback target need more ports than one address should give (then 127.0.0.1,
   * 127.0.0.2, …; see capacity.ts).
   */
  sourceAddresses?: SourceAddressesOption;
  /** Connect timeout per client, ms. */
  connectTimeoutMs?: number;
  /** Longest a client may run after the release, ms; 0 = automatic. */
  runTimeoutMs?: number;
  /** Longest wait for a server's `listening` line, ms. */
  startTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace period for servers, ms. */
  stopTimeoutMs?: number;
  /** Server process-tree sampling period, ms. */
  sampleIntervalMs?: number;
  /** CPU fraction (0–1) at which a run is flagged as loadgen-saturated. */
  saturationThreshold?: number;
  /** Before each run attempt, the longest wait for a quiet window, ms (0 = no wait). */
  quietWaitMs?: number;
  /** One quiet-window measurement, and the shortest window a run's foreign CPU is measured over, ms. */
  quietWindowMs?: number;
  /** Foreign CPU share of the machine (0–1) above which a run is noisy (re-run, then flagged). */
  noiseThreshold?: number;
  /** Re-runs of a noisy run; the quietest attempt is kept. */
  noiseRetries?: number;
}

/** What a preset sets. Everything else comes from DEFAULT_SWEEP_OPTIONS. */
export interface PresetDefinition {
  readonly description: string;
  readonly designs: readonly DesignName[];
  readonly workloads: readonly WorkloadName[];
  readonly clients: readonly number[];
  readonly runs: number;
  readonly timeScale: number;
  readonly tasksPerClient: number;
  readonly serverLifecycle: ServerLifecycle;
}

const TENS = Object.freeze([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);

/**
 * The presets. `quick`'s time scale was tuned by timing the whole preset on the 2-core reference
 * machine: it must finish in under 5 minutes. About three quarters of its time does not depend on the
 * task time at all: mp-per-connection starts a Node process per client (~80 ms of CPU, ~40 ms of wall
 * time per client on 2 cores) and mt-per-connection a thread per client (~15 ms), i.e. ~210 s for
 * 2 × 3 × (10 + 20 + … + 100) clients. What is left pays for the serial designs (N × task time per
 * run), which is why the tasks are only 5 ms: the whole preset took 4 min 32 s there.
 */
export const PRESETS: Readonly<Record<PresetName, PresetDefinition>> = deepFreeze({
  quick: {
    description: 'all six variants, blocking I/O (SLEEP) and CPU (FIB), N = 10…100, 3 runs, tasks scaled down to 5 ms to fit in under 5 minutes',
    // The six cold designs, not the warm ones: their runs would not fit the 5 minutes (and the shipped quick report is of these six).
    designs: ['single-iterative', 'single-event-loop', 'mp-per-connection', 'mp-pool', 'mt-per-connection', 'mt-pool'],
    workloads: ['sleep', 'fib'],
    clients: [...TENS],
    runs: 3,
    timeScale: 0.00167, // 3000 ms × 0.00167 = 5 ms per task (FIB 29)
    tasksPerClient: 1,
    // One server per cell: a fresh server per run would add 240 server starts (~0.1–0.3 s each).
    serverLifecycle: 'cell',
  },
  seed: {
    description: "the lesson's benchmark: SLEEP 3000 per client, N = 10…100, 3 runs, the three lesson designs (about 1 h 30 min, mostly the iterative server)",
    designs: ['single-iterative', 'mp-per-connection', 'mt-per-connection'],
    workloads: ['sleep'],
    clients: [...TENS],
    runs: 3,
    timeScale: 1,
    tasksPerClient: 1,
    serverLifecycle: 'run',
  },
  smoke: {
    description: 'a few seconds: two lesson designs, SLEEP 30, N = 2 and 4, 1 run (checks the set-up)',
    designs: ['single-iterative', 'mt-per-connection'],
    workloads: ['sleep'],
    clients: [2, 4],
    runs: 1,
    timeScale: 0.01,
    tasksPerClient: 1,
    serverLifecycle: 'run',
  },
} satisfies Record<PresetName, PresetDefinition>);

/** Defaults of everything a preset does not set, with units. */
export const DEFAULT_SWEEP_OPTIONS = Object.freeze({
  preset: 'quick' as PresetName,
  clientMode: 'workers' as ClientMode,
  loadgenWorkers: 2, // processes: on the 2-core reference machine, one per core
  poolSize: availableParallelism(), // processes or threads: the servers' own default (one per core)
  host: '127.0.0.1', // loopback only
  sourceAddresses: 'auto' as const, // one address, or as many 127.0.0.x as N needs
  connectTimeoutMs: 10_000, // 10 s
  runTimeoutMs: 0, // automatic: 30 s + 3 × N × tasksPerClient × taskMs
  startTimeoutMs: 10_000, // 10 s
  stopTimeoutMs: 15_000, // 15 s: the servers' own drain timeout (10 s) plus margin
  sampleIntervalMs: 50, // ms between /proc samples of the server's process tree
  saturationThreshold: 0.9, // 90 % of the CPU loadgen could use
  // Noise: other processes' CPU as a share of the machine. 0.2 = 0.4 of a core on 2 cores: a burner on
  // one core (0.5) is caught, the odd daemon wake-up is not. The wait is bounded per attempt so that a
  // machine that never quietens costs at most (1 + retries) × 2 s per run, not an unbounded stall.
  quietWaitMs: 2000, // ms
  // 100 ms: 10 clock ticks per CPU (a tick of rounding is 5 % of the machine on 2 CPUs), and 36 s over
  // the quick preset's 360 runs; a longer window reads finer but costs every run its length.
  quietWindowMs: 100, // ms
  noiseThreshold: 0.2, // share of all CPUs, 0–1
  noiseRetries: 2, // re-runs
});

/** Largest N a sweep accepts: a guard against typos; what a machine can take is checked by runSweep. */
export const MAX_CLIENTS = 100_000;

/** Largest tasks a default server accepts (its maxSleepMs and maxWaitMs limits), in ms. */
const MAX_SLEEP_MS = 10_000;
const MAX_WAIT_MS = 60_000;

const OPTION_KEYS = [
  'preset', 'designs', 'target', 'clients', 'runs', 'workloads', 'tasksPerClient', 'timeScale', 'clientMode', 'loadgenWorkers',
  'serverLifecycle', 'poolSize', 'host', 'sourceAddresses', 'connectTimeoutMs', 'runTimeoutMs', 'startTimeoutMs', 'stopTimeoutMs', 'sampleIntervalMs', 'saturationThreshold',
  'quietWaitMs', 'quietWindowMs', 'noiseThreshold', 'noiseRetries',
] as const;

function checkList<T>(name: string, value: unknown, item: (name: string, v: unknown) => T): T[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidOptionError(`${name} must be a non-empty array (got ${Array.isArray(value) ? 'an empty array' : typeof value})`);
  const out = value.map((v, i) => item(`${name}[${i}]`, v));
  const seen = new Set<T>();
  for (const [i, v] of out.entries()) {
    if (seen.has(v)) throw new InvalidOptionError(`${name}[${i}] repeats ${JSON.stringify(v)}; each value may appear once`);
    seen.add(v);
  }
  return out;
}

function checkNumber(name: string, value: unknown, min: number, max: number, minExclusive = false): number {
  const low = minExclusive ? (value as number) <= min : (value as number) < min;
  if (typeof value !== 'number' || !Number.isFinite(value) || low || value > max) {
    throw new InvalidOptionError(`${name} must be a number ${minExclusive ? '>' : '>='} ${min} and <= ${max} (got ${typeof value === 'number' ? value : typeof value})`);
  }
  return value;
}

/** Parses `host:port` (or `[v6]:port`) into its parts; the message names `option`. */
export function parseTarget(value: string, option = 'target'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidOptionError(`${option} must be host:port with a port between 1 and 65535 (got ${JSON.stringify(value)})`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Automatic per-client run timeout, ms: 30 s plus three times the fully serial estimate. */
export function autoRunTimeoutMs(config: Pick<ResolvedSweepConfig, 'tasksPerClient'>, clients: number, taskMs: number): number {
  return 30_000 + 3 * clients * config.tasksPerClient * Math.max(taskMs, 1);
}

/**
 * Resolves options over their preset and the defaults. Throws InvalidOptionError naming the option
 * (`clients[2] must be an integer between 1 and 10000 (got 0)`). The result is deep-frozen.
 */
export function resolveConfig(options: SweepOptions = {}): ResolvedSweepConfig {
  const given = checkKnownKeys('options', options, OPTION_KEYS);
  const d = DEFAULT_SWEEP_OPTIONS;
  const preset = given.preset === undefined ? d.preset : checkOneOf('preset', given.preset, PRESET_NAMES);
  const p = PRESETS[preset];
  const pick = <T>(key: (typeof OPTION_KEYS)[number], fallback: T, check: (name: string, v: unknown) => T): T =>
    given[key] === undefined ? fallback : check(key, given[key]);

  let target: { host: string; port: number } | null = null;
  if (given.target !== undefined && given.target !== null) {
    if (typeof given.target === 'string') target = parseTarget(given.target);
    else {
      const t = checkKnownKeys('target', given.target, ['host', 'port']);
      target = { host: checkString('target.host', t.host), port: checkInteger('target.port', t.port, 1, 65535) };
    }
    if (given.designs !== undefined) throw new InvalidOptionError('designs and target cannot be combined: with a target, the one external server is the only design');
    if (given.serverLifecycle !== undefined) throw new InvalidOptionError('serverLifecycle does not apply with a target: loadgen does not start the external server');
    if (given.poolSize !== undefined) throw new InvalidOptionError('poolSize does not apply with a target: loadgen does not start the external server');
  }
  const designs: DesignLabel[] = target ? ['external'] : pick('designs', [...p.designs], (n, v) => checkList(n, v, (m, x) => checkOneOf(m, x, DESIGNS)));
  // The real bounds are the machine's (file and port limits, checked by runSweep before it starts).
  const clients = pick('clients', [...p.clients], (n, v) => checkList(n, v, (m, x) => checkInteger(m, x, 1, MAX_CLIENTS)));
  const runs = pick('runs', p.runs, (n, v) => checkInteger(n, v, 1, 1000));
  const workloadNames = pick('workloads', [...p.workloads], (n, v) => checkList(n, v, (m, x) => checkOneOf(m, x, WORKLOAD_NAMES)));
  const tasksPerClient = pick('tasksPerClient', p.tasksPerClient, (n, v) => checkInteger(n, v, 1, 100_000));
  const timeScale = pick('timeScale', p.timeScale, (n, v) => checkNumber(n, v, 0, 100, true));
  const clientMode = pick('clientMode', d.clientMode, (n, v) => checkOneOf(n, v, CLIENT_MODES));
  if (clientMode === 'process' && given.loadgenWorkers !== undefined) {
    throw new InvalidOptionError('loadgenWorkers applies only to clientMode "workers" (clientMode "process" runs one process per client)');
  }
  const loadgenWorkers = pick('loadgenWorkers', d.loadgenWorkers, (n, v) => checkInteger(n, v, 1, 256));

  const host = target ? target.host : pick('host', d.host, checkString);
  const taskMs = scaledTaskMs(timeScale);
  for (const w of workloadNames) {
    if ((w === 'sleep' || w === 'mix') && taskMs > MAX_SLEEP_MS) {
      throw new InvalidOptionError(`timeScale ${timeScale} makes SLEEP ${taskMs} ms, above the servers' default maxSleepMs (${MAX_SLEEP_MS}); use a timeScale <= ${MAX_SLEEP_MS / 3000}`);
    }
    if (w === 'wait' && taskMs > MAX_WAIT_MS) {
      throw new InvalidOptionError(`timeScale ${timeScale} makes WAIT ${taskMs} ms, above the servers' default maxWaitMs (${MAX_WAIT_MS}); use a timeScale <= ${MAX_WAIT_MS / 3000}`);
    }
  }

  const config: ResolvedSweepConfig = {
    preset,
    designs,
    target,
    clients,
    runs,
    workloads: workloadNames.map((w) => resolveWorkload(w, timeScale)),
    tasksPerClient,
    timeScale,
    clientMode,
    loadgenWorkers,
    serverLifecycle: pick('serverLifecycle', p.serverLifecycle, (n, v) => checkOneOf(n, v, SERVER_LIFECYCLES)),
    poolSize: pick('poolSize', d.poolSize, (n, v) => checkInteger(n, v, 1, 1024)),
    host,
    sourceAddresses: pick<'auto' | string[]>('sourceAddresses', d.sourceAddresses, (n, v) => checkSourceAddresses(n, v, host)),
    connectTimeoutMs: pick('connectTimeoutMs', d.connectTimeoutMs, (n, v) => checkInteger(n, v, 1, 3_600_000)),
    runTimeoutMs: pick('runTimeoutMs', d.runTimeoutMs, (n, v) => checkInteger(n, v, 0, 86_400_000)),
    startTimeoutMs: pick('startTimeoutMs', d.startTimeoutMs, (n, v) => checkInteger(n, v, 1, 600_000)),
    stopTimeoutMs: pick('stopTimeoutMs', d.stopTimeoutMs, (n, v) => checkInteger(n, v, 1, 600_000)),
    sampleIntervalMs: pick('sampleIntervalMs', d.sampleIntervalMs, (n, v) => checkInteger(n, v, 5, 60_000)),
    saturationThreshold: pick('saturationThreshold', d.saturationThreshold, (n, v) => checkNumber(n, v, 0, 1)),
    quietWaitMs: pick('quietWaitMs', d.quietWaitMs, (n, v) => checkInteger(n, v, 0, 600_000)),
    quietWindowMs: pick('quietWindowMs', d.quietWindowMs, (n, v) => checkInteger(n, v, 10, 60_000)),
    noiseThreshold: pick('noiseThreshold', d.noiseThreshold, (n, v) => checkNumber(n, v, 0, 1)),
    noiseRetries: pick('noiseRetries', d.noiseRetries, (n, v) => checkInteger(n, v, 0, 100)),
  };
  return deepFreeze(config);
}

/** The time scale in words, as written to the results (`scale`) and printed by the CLI. */
export function describeScale(config: Pick<ResolvedSweepConfig, 'timeScale' | 'workloads'>): string {
  const timed = config.workloads.filter((w) => w.taskMs > 0);
  if (timed.length === 0) return `timeScale ${config.timeScale}: only instant tasks`;
  const w = timed[0]!;
  const fib = config.workloads.find((x) => x.fibN !== null);
  const fibText = fib ? `; FIB ${fib.fibN} ≈ ${fib.fibEstimatedMs} ms on the reference machine` : '';
  if (config.timeScale === 1) return `timeScale 1: tasks of ${w.taskMs} ms, the lesson's own size${fibText}`;
  return `timeScale ${config.timeScale}: tasks of ${w.taskMs} ms instead of ${w.nominalTaskMs} ms${fibText}`;
}
