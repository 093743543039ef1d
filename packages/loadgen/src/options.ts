import { availableParallelism } from 'node:os';
import { InvalidOptionError, checkInteger, checkKnownKeys, checkOneOf, checkString, deepFreeze } from '@socketlab/protocol';
import {
  CLIENT_MODES, DESIGNS, PRESET_NAMES, RUN_DEFINITIONS, SERVER_LIFECYCLES, WORKLOAD_NAMES,
  type ClientMode, type DesignLabel, type DesignName, type PresetName, type ResolvedSweepConfig, type RunDefinition, type ServerLifecycle, type WorkloadName,
} from '@socketlab/results';
import { PROTOCOLS, lessonRequest, type Expectation } from './adapters.ts';
import { resolveProtocol } from './protocol-options.ts';
import { lessonDir, parseServerSpec, usesLesson, type ExternalServerSpec } from './external-servers.ts';
import { checkSourceAddresses, type SourceAddressesOption } from './capacity.ts';
import { resolveWorkload, scaledTaskMs } from './workloads.ts';
import { OPEN_OPTION_KEYS, resolveOpenConfig, type OpenSweepOptions } from './open/options.ts';

/**
 * Options of a sweep, all optional. They are applied over a preset (`quick` unless `preset` says
 * otherwise), which is applied over DEFAULT_SWEEP_OPTIONS. `resolveConfig()` checks only the fields
 * given, names the field and the rule in its message, and returns a frozen ResolvedSweepConfig.
 */
export interface SweepOptions extends OpenSweepOptions {
  /** Starting point: `quick` (default), `seed` (the lesson's exact parameters) or `smoke` (seconds). */
  preset?: PresetName;
  /** Server variants loadgen starts, in sweep order. Cannot be combined with `target`. */
  designs?: readonly DesignName[];
  /** An external server that speaks the protocol (`host:port`, or `{ host, port }`); loadgen does not start it. */
  target?: string | { host: string; port: number } | null;
  /**
   * Users' servers loadgen starts from a command, as `NAME=COMMAND` strings (`--server`) or parsed specs;
   * swept after `designs`. With servers and no `designs` given, only the servers run (unless the preset
   * names servers of its own, as `lesson` does).
   */
  servers?: readonly (string | ExternalServerSpec)[];
  /** How clients talk to external servers (`servers`, `target`): `socketlab` (default), `line` or `raw`. Built-in designs always speak socketlab. */
  protocol?: (typeof PROTOCOLS)[number];
  /** `raw`: the text that ends a reply. */
  rawTerminator?: string | null;
  /** `raw`: a reply is exactly this many bytes. */
  rawBytes?: number | null;
  /** `raw` without terminator or byte count: a reply ends after this long without a byte, ms. */
  rawGapMs?: number;
  /** `line`/`raw`: what ends a session (`exit`). */
  exitRequest?: string;
  /** `line`/`raw`: the expected reply to exitRequest (`Goodbye!`; `prefix:…`, `regex:…` or `/…/` allowed). */
  exitReply?: string | Expectation;
  /** `line`/`raw`: expectations by task word, `{ sleep: 'prefix:Slept' }`, over the lesson catalogue's. */
  expect?: Readonly<Record<string, string | Expectation>>;
  /** Client counts N, in sweep order. */
  clients?: readonly number[];
  /** Runs per design × workload × N cell. */
  runs?: number;
  /** Time budget, ms: plan the sweep to fit it (which N, how many runs), then spend what is left on close pairs; 0 = none. */
  budgetMs?: number;
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
  /** When a run's clock starts: after every client connected (`connect-then-release`), or before they connect (`release-then-connect`). */
  runDefinition?: RunDefinition;
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
  /** Fraction of one core (0–1) that one client process's CPU time must reach over the run for the run to be flagged loadgen-saturated. */
  saturationThreshold?: number;
  /** 99th percentile event-loop delay of a client process, ms, at which a run is flagged loadgen-saturated. */
  eventLoopDelayThresholdMs?: number;
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
  /** Users' servers the preset sweeps after its designs (`lesson`: the lesson's Python servers). */
  readonly servers?: readonly string[];
  /** Their protocol (with servers). */
  readonly protocol?: (typeof PROTOCOLS)[number];
  readonly workloads: readonly WorkloadName[];
  readonly clients: readonly number[];
  readonly runs: number;
  /** Time budget, ms (`quick`: 3 min); absent = DEFAULT_SWEEP_OPTIONS.budgetMs (none). */
  readonly budgetMs?: number;
  readonly timeScale: number;
  readonly tasksPerClient: number;
  readonly serverLifecycle: ServerLifecycle;
}

const TENS = Object.freeze([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);

/**
 * The presets. `full`'s (and `quick`'s) time scale was tuned by timing the whole preset on the 2-core reference
 * machine. Most of its time does not depend on the task time at all: mp-per-connection starts a Node
 * process per client (~67 ms of CPU) and mt-per-connection a thread (~47 ms), for 2 × 3 × (10 + 20 + …
 * + 100) clients. What is left pays for the serial designs (N × task time per run), which is why the
 * tasks are only 5 ms: with every design the whole preset took 11 min 8 s there (4 min 32 s when it had
 * the six designs of the lesson's kind only).
 */
const EVERY_DESIGN: Omit<PresetDefinition, 'description'> = {
  // Every design: a user's first sweep should show all of them (each is opt-out with --designs).
  designs: [...DESIGNS],
  workloads: ['sleep', 'fib'],
  clients: [...TENS],
  runs: 3,
  timeScale: 0.00167, // 3000 ms × 0.00167 = 5 ms per task (FIB 29)
  tasksPerClient: 1,
  // One server per cell: a fresh server per run would add 240 server starts (~0.1–0.3 s each).
  serverLifecycle: 'cell',
};

export const PRESETS: Readonly<Record<PresetName, PresetDefinition>> = deepFreeze({
  quick: {
    ...EVERY_DESIGN,
    description: 'full\'s sweep fitted to a 3-minute budget (--budget 3m): every design, SLEEP and FIB, N = 10…100 as fits (the smallest and largest always), 3 runs (2 if need be), extra runs where two designs are not yet separated',
    budgetMs: 180_000, // 3 min (sweep/budget.ts); --budget 0 = the full preset
  },
  full: {
    ...EVERY_DESIGN,
    description: 'every built-in design (the six of the lesson\'s kind, the two warm per-connection variants, the three prefork ones), blocking I/O (SLEEP) and CPU (FIB), N = 10…100, 3 runs, tasks scaled down to 5 ms; no budget',
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
  lesson: {
    description: "the lesson's experiment, scaled to fit (SLEEP 30 instead of 3000, N = 10…100, 3 runs): socketlab's designs beside the lesson's three servers re-created in Python (examples/lesson-python, driven the lesson's way: --protocol raw); 3 min at N = 10, 50, 100 on the reference machine, about three times that for all ten N",
    designs: [...DESIGNS],
    // {lesson} is examples/lesson-python of the socketlab checkout (see resolveConfig); --quiet: no line per request.
    servers: [
      'lesson-single=python3 {lesson}/server.py --host {host} --port {port} --quiet',
      'lesson-mp=python3 {lesson}/serverMP.py --host {host} --port {port} --quiet',
      'lesson-mt=python3 {lesson}/serverMT.py --host {host} --port {port} --quiet',
    ],
    protocol: 'raw',
    workloads: ['sleep'],
    clients: [...TENS],
    runs: 3,
    timeScale: 0.01, // 3000 ms × 0.01 = 30 ms per task: the iterative servers take N × 30 ms per run
    tasksPerClient: 1,
    serverLifecycle: 'run', // the lesson starts its server once per experiment; a fresh one per run keeps runs independent
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
  budgetMs: 0, // ms; 0 = no budget (the quick preset sets its own)
  clientMode: 'workers' as ClientMode,
  // The clock measures the server, not loadgen's own connects (see the README, "What a run is").
  runDefinition: 'connect-then-release' as RunDefinition,
  loadgenWorkers: 2, // processes: on the 2-core reference machine, one per core
  poolSize: availableParallelism(), // processes or threads: the servers' own default (one per core)
  host: '127.0.0.1', // loopback only
  sourceAddresses: 'auto' as const, // one address, or as many 127.0.0.x as N needs
  connectTimeoutMs: 10_000, // 10 s
  runTimeoutMs: 0, // automatic: 30 s + 3 × N × tasksPerClient × taskMs
  startTimeoutMs: 10_000, // 10 s
  stopTimeoutMs: 15_000, // 15 s: the servers' own drain timeout (10 s) plus margin
  sampleIntervalMs: 50, // ms between /proc samples of the server's process tree
  saturationThreshold: 0.9, // fraction of one core, per client process: 0.9 = a client process busy 90 % of its run
  eventLoopDelayThresholdMs: 20, // ms, p99 of a client process's event-loop delay (README: "Saturation")
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
  'preset', 'designs', 'target', 'clients', 'runs', 'budgetMs', 'workloads', 'tasksPerClient', 'timeScale', 'clientMode', 'loadgenWorkers',
  'serverLifecycle', 'runDefinition', 'poolSize', 'host', 'sourceAddresses', 'connectTimeoutMs', 'runTimeoutMs', 'startTimeoutMs', 'stopTimeoutMs', 'sampleIntervalMs', 'saturationThreshold',
  'eventLoopDelayThresholdMs', 'quietWaitMs', 'quietWindowMs', 'noiseThreshold', 'noiseRetries', ...OPEN_OPTION_KEYS,
  'servers', 'protocol', 'rawTerminator', 'rawBytes', 'rawGapMs', 'exitRequest', 'exitReply', 'expect',
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
  const servers = resolveServers(given.servers, p);
  if (target && servers.length > 0) throw new InvalidOptionError('servers and target cannot be combined: a target is a server loadgen does not start');
  // With servers given and no designs named, only the servers run: measuring one's own server should
  // not also sweep the preset's designs.
  const defaultDesigns = given.servers !== undefined ? [] : [...p.designs];
  const builtIn: DesignLabel[] = target ? ['external'] : pick('designs', defaultDesigns, (n, v) => checkList(n, v, (m, x) => checkOneOf(m, x, DESIGNS)));
  const designs: DesignLabel[] = [...builtIn, ...servers.map((x) => x.name)];
  if (designs.length === 0) throw new InvalidOptionError('designs must name at least one design when servers is empty');
  const protocol = resolveProtocol(given, p.protocol, servers.length > 0 || target !== null);
  // The real bounds are the machine's (file and port limits, checked by runSweep before it starts).
  const clients = pick('clients', [...p.clients], (n, v) => checkList(n, v, (m, x) => checkInteger(m, x, 1, MAX_CLIENTS)));
  const runs = pick('runs', p.runs, (n, v) => checkInteger(n, v, 1, 1000));
  // The open model has no budget unless one is given (then the sweep refuses it: sweep/budget.ts).
  const budgetMs = pick('budgetMs', given.model === 'open' ? 0 : (p.budgetMs ?? d.budgetMs), (n, v) => checkInteger(n, v, 0, 7 * 86_400_000));
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

  if (protocol && protocol.name !== 'socketlab') {
    for (const w of workloadNames) {
      const workload = resolveWorkload(w, timeScale);
      for (const task of workload.tasks) {
        if (!lessonRequest(task, protocol.expect)) {
          const word = task.split(' ')[0]!.toLowerCase();
          throw new InvalidOptionError(`workloads: ${w} sends ${task.split(' ')[0]}, which a ${protocol.name} server is not assumed to know (the lesson's tasks are sleep and fib); give its reply with expect (--expect ${word}=…) or choose another workload`);
        }
      }
    }
  }

  // The open model (src/open/options.ts): its cells' `clients` is the connection count.
  const openModel = resolveOpenConfig(given, clientMode);
  const config: ResolvedSweepConfig = {
    preset,
    designs,
    ...(servers.length > 0 ? { servers } : {}),
    ...(protocol ? { protocol } : {}),
    target,
    clients: openModel.open ? [openModel.open.connections] : clients,
    runs,
    ...(budgetMs > 0 ? { budgetMs } : {}),
    workloads: workloadNames.map((w) => resolveWorkload(w, timeScale)),
    tasksPerClient,
    timeScale,
    clientMode,
    loadgenWorkers,
    serverLifecycle: pick('serverLifecycle', p.serverLifecycle, (n, v) => checkOneOf(n, v, SERVER_LIFECYCLES)),
    runDefinition: pick('runDefinition', d.runDefinition, (n, v) => checkOneOf(n, v, RUN_DEFINITIONS)),
    poolSize: pick('poolSize', d.poolSize, (n, v) => checkInteger(n, v, 1, 1024)),
    host,
    sourceAddresses: pick<'auto' | string[]>('sourceAddresses', d.sourceAddresses, (n, v) => checkSourceAddresses(n, v, host)),
    connectTimeoutMs: pick('connectTimeoutMs', d.connectTimeoutMs, (n, v) => checkInteger(n, v, 1, 3_600_000)),
    runTimeoutMs: pick('runTimeoutMs', d.runTimeoutMs, (n, v) => checkInteger(n, v, 0, 86_400_000)),
    startTimeoutMs: pick('startTimeoutMs', d.startTimeoutMs, (n, v) => checkInteger(n, v, 1, 600_000)),
    stopTimeoutMs: pick('stopTimeoutMs', d.stopTimeoutMs, (n, v) => checkInteger(n, v, 1, 600_000)),
    sampleIntervalMs: pick('sampleIntervalMs', d.sampleIntervalMs, (n, v) => checkInteger(n, v, 5, 60_000)),
    saturationThreshold: pick('saturationThreshold', d.saturationThreshold, (n, v) => checkNumber(n, v, 0, 1)),
    eventLoopDelayThresholdMs: pick('eventLoopDelayThresholdMs', d.eventLoopDelayThresholdMs, (n, v) => checkNumber(n, v, 0, 3_600_000)),
    quietWaitMs: pick('quietWaitMs', d.quietWaitMs, (n, v) => checkInteger(n, v, 0, 600_000)),
    quietWindowMs: pick('quietWindowMs', d.quietWindowMs, (n, v) => checkInteger(n, v, 10, 60_000)),
    noiseThreshold: pick('noiseThreshold', d.noiseThreshold, (n, v) => checkNumber(n, v, 0, 1)),
    noiseRetries: pick('noiseRetries', d.noiseRetries, (n, v) => checkInteger(n, v, 0, 100)),
    ...openModel,
  };
  return deepFreeze(config);
}

function resolveServers(given: unknown, p: PresetDefinition): ExternalServerSpec[] {
  // Given servers replace the preset's, as given designs do.
  if (given === undefined) {
    const fromPreset = (p.servers ?? []).map((raw) => parseServerSpec(raw, 'preset servers'));
    if (fromPreset.some(usesLesson)) lessonDir(); // fails now, with the reason, rather than at the first start
    return fromPreset;
  }
  const list = checkList('servers', given, (name, v): ExternalServerSpec => {
    if (typeof v === 'string') return parseServerSpec(v, name);
    const o = checkKnownKeys(name, v, ['name', 'command', 'port']);
    if (!Array.isArray(o.command) || o.command.length === 0) throw new InvalidOptionError(`${name}.command must be a non-empty array of strings`);
    const command = o.command.map((w, i) => checkString(`${name}.command[${i}]`, w));
    const port = o.port === null || o.port === undefined ? null : checkInteger(`${name}.port`, o.port, 1, 65535);
    // The same rules as the string form (name, {port} or a fixed port), on a canonical spelling of it.
    const checked = parseServerSpec(`${checkString(`${name}.name`, o.name)}${port === null ? '' : `:${port}`}=x${command.some((w) => w.includes('{port}')) ? ' {port}' : ''}`, name);
    return { name: checked.name, command, port };
  });
  if (list.some(usesLesson)) lessonDir();
  const seen = new Set<string>();
  for (const [i, x] of list.entries()) {
    if (seen.has(x.name)) throw new InvalidOptionError(`servers[${i}]: the name ${JSON.stringify(x.name)} is used twice`);
    seen.add(x.name);
  }
  return list;
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
