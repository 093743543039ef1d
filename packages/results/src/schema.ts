import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DESIGNS, USER_DESIGN_NAME, type DesignLabel } from './designs.ts';
import { BudgetSchema } from './schema-budget.ts';

/**
 * The results document, defined once with TypeBox. This file is the single source of:
 * - the TypeScript types (`Static<>` below),
 * - `schema.json` (written by `scripts/write-schema.ts` after every build; a test keeps it in sync),
 * - the field descriptions (with units) that docs/results-format.md expands on.
 *
 * Units are part of every numeric field's name where it has one: `…Ms` milliseconds, `…Us`
 * microseconds, `…Bytes` bytes; counts are plain integers.
 *
 * Versioning: every object is closed (`additionalProperties: false`), so a reader that does not know a
 * field rejects it rather than silently dropping it. Hence any change bumps SCHEMA_VERSION: an added
 * optional field too, since an older reader would refuse it with a confusing per-field error instead of
 * one clear "this reader knows versions …". A new version stays a superset of the older ones it lists in
 * READABLE_SCHEMA_VERSIONS (fields only added, optional), so one schema validates them all; a breaking
 * change (removed or renamed field, changed unit or meaning) drops the old versions from that list.
 */
export const SCHEMA_VERSION = 2;
/** The versions this reader accepts: the current one and the older ones it is a superset of. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = Object.freeze([1, 2]);

export { DESIGNS };
export type { DesignName, DesignLabel } from './designs.ts';

export const PRESET_NAMES = ['quick', 'full', 'seed', 'lesson', 'smoke'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const CLIENT_MODES = ['workers', 'process'] as const;
export type ClientMode = (typeof CLIENT_MODES)[number];

export const SERVER_LIFECYCLES = ['run', 'cell'] as const;
export type ServerLifecycle = (typeof SERVER_LIFECYCLES)[number];

/**
 * When a run's clock starts (docs/results-format.md, `config.runDefinition`). `connect-then-release`:
 * every client connects first, then all are released at once and the clock starts at the release.
 * `release-then-connect`: the clock starts at the release and each client connects after it (the
 * lesson's start.sh, which starts N client processes at once; loadgen before the v2 field).
 */
export const RUN_DEFINITIONS = ['connect-then-release', 'release-then-connect'] as const;
export type RunDefinition = (typeof RUN_DEFINITIONS)[number];

export const WORKLOAD_NAMES = ['sleep', 'wait', 'fib', 'mix', 'ping'] as const;
/** The load models: `closed` (the lesson's: N clients, each waits for its reply) and `open` (requests arrive at a rate). */
export const LOAD_MODELS = ['closed', 'open'] as const;
export type LoadModel = (typeof LOAD_MODELS)[number];
/** How an open-model run spaces its arrivals: evenly, or as a Poisson process (exponential gaps, seeded). */
export const ARRIVAL_PROCESSES = ['constant', 'poisson'] as const;
export type ArrivalProcess = (typeof ARRIVAL_PROCESSES)[number];
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
export const COST_MODELS = ['instant', 'blocking-io', 'async-io', 'cpu', 'mixed'] as const;
/** A workload's cost model: the protocol's (docs/protocol.md), or `mixed`. */
export type WorkloadCostModel = (typeof COST_MODELS)[number];

const StringEnum = <const T extends readonly string[]>(values: T, description: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()], { description: schema.description });
const Int = (description: string, minimum = 0) => Type.Integer({ minimum, description });
const Num = (description: string) => Type.Number({ minimum: 0, description });
const Iso = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$', description: `${description} ISO 8601, UTC.` });
const Obj = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });
/**
 * A design label: a built-in design, `external`, or a user's server named in config.servers (v2). The
 * schema checks the spelling; validateResults checks that a name that is not built-in is in config.servers.
 */
const DesignLabelSchema = (description: string) =>
  Type.Unsafe<DesignLabel>({ type: 'string', pattern: USER_DESIGN_NAME.source, description: `${description} One of ${DESIGNS.join(', ')}; \`external\` (the --target server); or (v2) the name of a server in config.servers.` });

export const PROTOCOL_NAMES = ['socketlab', 'line', 'raw'] as const;
export const ExpectationSchema = Obj(
  {
    kind: StringEnum(['exact', 'prefix', 'regex'] as const, '`exact`: the reply equals value; `prefix`: it starts with value; `regex`: value, a JavaScript regular expression, matches the whole reply.'),
    value: Type.String({ description: 'The expected text, prefix or pattern.' }),
  },
  'How a reply is checked (v2).',
);
export const ExternalServerSchema = Obj(
  {
    name: Type.String({ pattern: USER_DESIGN_NAME.source, description: 'Its label in the results (cells[].design) and the report.' }),
    command: Type.Array(Type.String(), { minItems: 1, description: 'The command as given, split into words, placeholders `{port}` and `{host}` not yet filled in. Run without a shell.' }),
    port: Nullable(Int('Its fixed port (`name:PORT=command`); null when loadgen picks one for `{port}`.', 1)),
  },
  'A user\'s server that loadgen starts from a command (`--server NAME=COMMAND`) (v2).',
);
export const ProtocolConfigSchema = Obj(
  {
    name: StringEnum(PROTOCOL_NAMES, 'How clients talk to external servers (--server, --target): `socketlab` (docs/protocol.md), `line` (a request line out, a reply line back) or `raw` (one write per task; the reply is what arrives). Built-in designs always speak socketlab.'),
    rawTerminator: Nullable(Type.String({ description: '`raw`: the text that ends a reply; null: none.' })),
    rawBytes: Nullable(Int('`raw`: a reply is exactly this many bytes; null: not fixed.', 1)),
    rawGapMs: Int('`raw` without terminator or byte count: a reply ends when no byte arrived for this long (unless an exact or regex expectation already holds). Unit: ms.', 1),
    exitRequest: Type.String({ description: '`line`/`raw`: what ends a session (the lesson: `exit`).' }),
    exitReply: ExpectationSchema,
    expect: Type.Record(Type.String({ pattern: '^[a-z0-9_-]+$' }), ExpectationSchema, { description: '`line`/`raw`: expectations by task word (lower-case), over the lesson catalogue\'s (sleep → `Slept <ms> ms`, fib → `fib(<n>) = <value>`).' }),
  },
  'The client protocol for external servers (v2).',
);

// ---------------------------------------------------------------------------------------------------
// Configuration (the fully resolved one: every default filled in).

export const WorkloadSchema = Obj(
  {
    name: StringEnum(WORKLOAD_NAMES, 'Workload name.'),
    description: Type.String({ description: 'What the workload does, in words.' }),
    costModel: StringEnum(COST_MODELS, 'How its tasks spend time (docs/protocol.md), or `mixed`.'),
    nominalTaskMs: Num('Time of one task at timeScale 1 (the lesson: 3000). 0 for instant tasks. Unit: ms.'),
    taskMs: Num('Time of one task at this sweep\'s timeScale: round(nominalTaskMs × timeScale), at least 1; 0 for instant tasks. For FIB, the target time. Unit: ms.'),
    fibN: Nullable(Int('FIB argument chosen so FIB n takes about taskMs on the reference machine (FIB 30 ≈ 9 ms, ×1.618 per n); null if the workload has no FIB.', 1)),
    fibEstimatedMs: Nullable(Num('Estimated time of FIB fibN on the reference machine; null if no FIB. Unit: ms.')),
    tasks: Type.Array(Type.String(), { minItems: 1, description: 'Request templates. Client i sends as its task j: tasks[(i + j) mod tasks.length]; then EXIT.' }),
  },
  'A workload, with its task arguments already scaled.',
);


/** (v2) The open model's settings (config.open). */
export const OpenConfigSchema = Obj(
  {
    rates: Type.Array(Int('A target rate. Unit: requests/s.', 1), { description: 'Target rates given as absolute numbers, ascending. Unit: requests/s.' }),
    ratePercents: Type.Array(Type.Number({ exclusiveMinimum: 0, description: 'A target rate as a percentage of the probed capacity.' }), { description: 'Target rates given as percentages of each design × workload\'s capacity, found by a probe (probeMs) before its first such cell; ascending. Unit: %.' }),
    arrival: StringEnum(ARRIVAL_PROCESSES, '`constant`: arrivals evenly spaced (1/rate apart); `poisson`: exponential gaps with mean 1/rate, from a seeded generator.'),
    seed: Int('Seed of the Poisson arrivals: loadgen process i draws from seed + i. Recorded for constant arrivals too (unused there).'),
    durationMs: Int('How long arrivals are generated, per run. Unit: ms.', 1),
    connections: Int('Connections that carry the load (opened before the release, kept for the run); also each cell\'s `clients`.', 1),
    maxInFlight: Int('Most requests outstanding on one connection at a time (1: one request, then its reply).', 1),
    queueLimit: Int('Most arrivals waiting for a free slot, over all loadgen processes (each process holds its integral share); an arrival beyond it is dropped and counted. Unit: arrivals.'),
    drainMs: Int('After durationMs, how long outstanding and queued requests may still complete; what is left is counted as timed out. Unit: ms.'),
    probeMs: Int('Length of the capacity probe (every connection kept at maxInFlight requests, closed loop) that turns ratePercents into rates. Unit: ms.', 1),
    rateTolerance: Type.Number({ minimum: 0, maximum: 1, description: 'A run is flagged `saturated` (the server could not keep up) when its throughput falls below (1 − this) × its offered rate, or when it dropped arrivals. Unitless, 0–1.' }),
    pacingLagThresholdMs: Type.Number({ minimum: 0, description: 'A run is flagged `generatorLimited` when the 99th percentile of the pacing loop\'s lateness (pacingLagUs) exceeds this (or loadgen.saturated holds). Unit: ms.' }),
  },
  '(v2) The open model: requests arrive at a target rate on a fixed set of connections, whether or not the server keeps up. Present only when `model` is `open`.',
);

export const ConfigSchema = Obj(
  {
    preset: Nullable(StringEnum(PRESET_NAMES, 'The preset the configuration started from; null if none.')),
    designs: Type.Array(DesignLabelSchema('A server design.'), { minItems: 1, description: 'Designs swept, in order. `external` = the --target server.' }),
    servers: Type.Optional(Type.Array(ExternalServerSchema, { description: 'User servers loadgen starts from a command (--server), by name (v2). Absent: none.' })),
    protocol: Type.Optional(ProtocolConfigSchema),
    target: Nullable(
      Obj({ host: Type.String({ description: 'Host name or address.' }), port: Int('TCP port.', 1) }, 'The external server (--target); null when loadgen starts the servers.'),
    ),
    clients: Type.Array(Int('Clients released at once in one run (N).', 1), { minItems: 1, description: 'Client counts swept, in order.' }),
    runs: Int('Runs per design × workload × N cell.', 1),
    budgetMs: Type.Optional(Int('(v2) The time budget (--budget) the sweep was planned to fit: `clients` and `runs` are what the plan kept (see `budget`). Absent: no budget. Unit: ms.', 1)),
    workloads: Type.Array(WorkloadSchema, { minItems: 1, description: 'Workloads swept, in order.' }),
    tasksPerClient: Int('Workload tasks each client sends, one after another, before EXIT.', 1),
    timeScale: Type.Number({ exclusiveMinimum: 0, description: 'Multiplier applied to nominal task times (1 = the lesson\'s 3000 ms tasks). Unitless.' }),
    clientMode: StringEnum(CLIENT_MODES, '`workers`: clients are connections spread over loadgenWorkers processes; `process`: one OS process per client (the lesson\'s way).'),
    loadgenWorkers: Int('Client worker processes in `workers` mode.', 1),
    serverLifecycle: StringEnum(SERVER_LIFECYCLES, '`run`: a fresh server process per run (independent runs); `cell`: one per design × workload × N cell, shared by its runs.'),
    poolSize: Int('Processes or threads in the mp-pool and mt-pool servers (--pool-size).', 1),
    host: Type.String({ description: 'Address the servers loadgen starts listen on, and clients connect to.' }),
    connectTimeoutMs: Int('A client that has not connected after this long fails with `timeout`. Unit: ms.', 1),
    runTimeoutMs: Int('A client still running this long after the release fails with `timeout`. 0 = automatic (30 s + 3 × the serial estimate N × tasksPerClient × taskMs). Unit: ms.'),
    startTimeoutMs: Int('Longest wait for a started server\'s `listening` line. Unit: ms.', 1),
    stopTimeoutMs: Int('After SIGTERM, how long a server gets to exit before SIGKILL. Unit: ms.', 1),
    sampleIntervalMs: Int('Period of the server process-tree sampling (/proc). Unit: ms.', 1),
    saturationThreshold: Type.Number({ minimum: 0, maximum: 1, description: 'A run is flagged `saturated` when one client process\'s CPU time reaches this fraction of one core over its part of the run (loadgen.maxClientUtilization). Files without that field used an older rule: loadgen\'s CPU as a fraction of what it could use (loadgen.utilization) or of one core for its busiest process (loadgen.maxProcessUtilization). Unitless, 0–1.' }),
    eventLoopDelayThresholdMs: Type.Optional(Num('(v2) A run is also flagged `saturated` when a client process\'s event loop was this late at the 99th percentile during the run (loadgen.eventLoopDelayP99Ms). Absent in files written before the field. Unit: ms.')),
    runDefinition: Type.Optional(StringEnum(RUN_DEFINITIONS, '(v2) When a run\'s clock starts. `connect-then-release`: every client connects first, then all are released at once; totalMs = release → last Goodbye. `release-then-connect`: the clients are released, then each connects; totalMs includes the connects. Absent in files written before the field: read it as `release-then-connect`, what loadgen did then.')),
    quietWaitMs: Type.Optional(Int('Before each run attempt, the longest wait for a quiet window (foreign CPU share ≤ noiseThreshold); the run starts anyway after it. 0 = no wait. Absent in files written before loadgen 0.3. Unit: ms.')),
    quietWindowMs: Type.Optional(Int('Length of one quiet-window measurement, and the shortest window a run\'s foreign CPU share is measured over (a shorter run is measured together with the window just before it). Absent before loadgen 0.3. Unit: ms.', 1)),
    noiseThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'A run is noisy when processes outside loadgen\'s and the server\'s trees used more than this share of the machine\'s CPU capacity during it. Absent before loadgen 0.3. Unitless, 0–1.' })),
    noiseRetries: Type.Optional(Int('How many times a noisy run is run again; the quietest attempt is kept. Absent before loadgen 0.3.')),
    model: Type.Optional(StringEnum(LOAD_MODELS, '(v2) The load model. Absent = `closed` (the lesson\'s; every file before the open model).')),
    open: Type.Optional(OpenConfigSchema),
    sourceAddresses: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Array(Type.String(), { minItems: 1 })], {
        description:
          'Local addresses the clients connect from (--source-addresses), client i from the (i mod length)-th: a list, or `auto` (the OS picks one, unless N clients to a loopback target need more ports than one address should give: then 127.0.0.1, 127.0.0.2, …). Each run records the addresses it used in loadgen.sourceAddresses. Absent in files written before it existed (= auto).',
      }),
    ),
  },
  'The fully resolved sweep configuration (every default filled in).',
);

// ---------------------------------------------------------------------------------------------------
// Environment.

export const EnvironmentSchema = Obj(
  {
    node: Type.String({ description: 'Node.js version (process.version).' }),
    v8: Type.String({ description: 'V8 version.' }),
    platform: Type.String({ description: 'process.platform, e.g. `linux`.' }),
    arch: Type.String({ description: 'process.arch, e.g. `x64`.' }),
    osRelease: Type.String({ description: 'Kernel release (os.release()).' }),
    kernelVersion: Type.String({ description: 'Kernel build string (os.version()).' }),
    cpuModel: Type.String({ description: 'Model name of the first CPU.' }),
    cores: Int('Cores available to this process (os.availableParallelism()).', 1),
    logicalCpus: Int('Logical CPUs the OS reports (os.cpus().length).'),
    totalMemoryBytes: Int('Physical memory. Unit: bytes.'),
    loadAverage: Type.Array(Type.Number({ minimum: 0 }), { description: '1, 5 and 15 minute load averages when the sweep started (others\' work on the machine shows here).' }),
    somaxconn: Nullable(Int('/proc/sys/net/core/somaxconn: the kernel\'s cap on listen backlogs; null if unreadable.')),
    localPortRange: Type.Optional(
      Nullable(
        Obj(
          { low: Int('Lowest ephemeral port.', 1), high: Int('Highest ephemeral port.', 1) },
          '/proc/sys/net/ipv4/ip_local_port_range: the ports outgoing connections get, one set per source address; null if unreadable. Absent in files written before it was recorded.',
        ),
      ),
    ),
    openFileLimit: Nullable(
      Obj(
        { soft: Nullable(Int('Soft limit (`ulimit -n`); null = unlimited.')), hard: Nullable(Int('Hard limit; null = unlimited.')) },
        '"Max open files" from /proc/self/limits; null if unreadable.',
      ),
    ),
    clockTicksPerSecond: Int('USER_HZ: the unit of /proc/<pid>/stat CPU times.', 1),
    pageSizeBytes: Int('Memory page size. Unit: bytes.', 1),
    procfs: Type.Boolean({ description: 'True if /proc metrics were available (Linux); if false, server CPU/memory fields are null.' }),
    gitCommit: Nullable(Type.String({ description: 'HEAD commit of the git checkout loadgen ran in; null outside one.' })),
    gitDirty: Nullable(Type.Boolean({ description: 'True if that checkout had uncommitted changes; null outside one.' })),
    features: Type.Optional(
      Obj(
        {
          reusePort: Type.Boolean({ description: '`listen({ reusePort: true })` really shares a port on this Node (probed: two listeners bind one port).' }),
          socketTransfer: Type.Boolean({ description: 'An accepted socket can be transferred to a worker thread with `postMessage(…, [socket])` on this Node (probed).' }),
        },
        'Optional Node.js features the designs depend on, probed at run time (`detectRuntime()` in @socketlab/protocol). Absent in files written before loadgen 0.2.',
      ),
    ),
  },
  'The machine and software the sweep ran on.',
);

// ---------------------------------------------------------------------------------------------------
// Measurements.

/** How latency histograms are encoded in the results (`HistogramRecord.encoding`). */
export const HISTOGRAM_ENCODING = 'hdrhistogram-compressed-base64';

export const HistogramSchema = Obj(
  {
    encoding: Type.Literal(HISTOGRAM_ENCODING, { description: 'HdrHistogram V2 compressed encoding, base64 (hdr-histogram-js encodeIntoCompressedBase64).' }),
    unit: Type.Literal('us', { description: 'Unit of the recorded values: microseconds.' }),
    lowestDiscernibleValue: Int('Smallest value the histogram tells apart. Unit: µs.', 1),
    highestTrackableValue: Int('Largest value it can record; larger values are clamped to it. Unit: µs.', 1),
    significantDigits: Int('Decimal digits of precision kept (values within 0.1% share a bucket at 3).', 1),
    encoded: Type.String({ description: 'The histogram. Merge histograms by adding them (decode, add), never by averaging percentiles.' }),
    count: Int('Values recorded.'),
    min: Nullable(Num('Smallest value; null when count is 0. Unit: µs.')),
    mean: Nullable(Num('Mean; null when count is 0. Unit: µs.')),
    p50: Nullable(Num('Median; null when count is 0. Unit: µs.')),
    p90: Nullable(Num('90th percentile; null when count is 0. Unit: µs.')),
    p99: Nullable(Num('99th percentile; null when count is 0. Unit: µs.')),
    max: Nullable(Num('Largest value; null when count is 0. Unit: µs.')),
  },
  'An HDR histogram of latencies, in µs, with a summary.',
);

export const ErrorCountsSchema = Obj(
  {
    total: Int('Sum of every kind below (protocol summed over codes).'),
    refused: Int('Connection attempts refused (ECONNREFUSED).'),
    reset: Int('Connections reset by the peer (ECONNRESET, EPIPE).'),
    closed: Int('Connections the server closed (FIN) before the reply arrived, without a reset.'),
    timeout: Int('Clients that had not connected within connectTimeoutMs, or not finished within runTimeoutMs.'),
    protocol: Type.Record(Type.String({ pattern: '^[A-Z0-9_]+$' }), Type.Integer({ minimum: 1 }), { description: '`ERR <CODE>` replies, counted by code (e.g. SOCKETLAB_ERR_BACKLOG_FULL).' }),
    wrongResult: Int('OK replies whose value differs from the expected one (PING→PONG, SLEEP n→n, FIB n→fib(n), EXIT→Goodbye!).'),
    other: Int('Anything else (undecodable replies, other socket errors).'),
  },
  'Errors, by kind. Each failed connection counts once; protocol and wrongResult count replies.',
);

export const ClientsSchema = Obj(
  {
    count: Int('Clients released (N).'),
    completed: Int('Clients that got `Goodbye!` to their EXIT.'),
    failed: Int('Clients that did not (refused, reset, closed or timed out).'),
    connectMs: Type.Array(Nullable(Num('')), { description: 'Per client (by index): release → TCP connection established; null if it never connected. 0 for a client that connected before the release (config.runDefinition `connect-then-release`). Unit: ms.' }),
    firstReplyMs: Type.Array(Nullable(Num('')), { description: 'Per client: release → first reply received; null if none. Unit: ms.' }),
    completionMs: Type.Array(Nullable(Num('')), { description: 'Per client: release → `Goodbye!` received; null if the client failed. Unit: ms.' }),
    timeline: Type.Optional(
      Obj(
        {
          sentMs: Type.Array(Type.Array(Type.Number()), { description: 'Per client: when each request was written, the exit request last. Signed (a request is never written before the release, but see replyMs). Unit: ms since the release.' }),
          replyMs: Type.Array(Type.Array(Type.Number()), { description: 'Per client: when each reply arrived, in request order, `Goodbye!` last. Signed: an ERR to a client still waiting for the release comes before it. Unit: ms since the release.' }),
          closeMs: Type.Array(Nullable(Type.Number()), { description: 'Per client: when its connection closed; null if it never connected. Unit: ms since the release.' }),
        },
        '(v2) Every client\'s timeline: runs of at most 1,000 clients (loadgen TIMELINE_MAX_CLIENTS). With connectMs, firstReplyMs and completionMs it shows who waited for what (the report\'s timeline).',
      ),
    ),
  },
  'Per-client timings, all measured from the release (start barrier), raw.',
);

export const ServerUsageSchema = Obj(
  {
    cpuUserMs: Nullable(Num('User CPU time of the server\'s whole process tree during the run (utime + cutime of live processes, so reaped children count). Unit: ms.')),
    cpuSystemMs: Nullable(Num('System CPU time of the process tree during the run (stime + cstime). Unit: ms.')),
    cpuTotalMs: Nullable(Num('cpuUserMs + cpuSystemMs. Unit: ms.')),
    peakRssBytes: Nullable(Int('Highest sum of VmRSS over the process tree among the samples of this run. Unit: bytes.')),
    peakProcesses: Nullable(Int('Most processes in the tree at one sample (the server itself included).')),
    peakThreads: Nullable(Int('Most threads, summed over the tree, at one sample.')),
    samples: Int('Process-tree samples taken during the run (every sampleIntervalMs).'),
  },
  'The server\'s resource use during one run, from /proc. Null fields: not measurable (no /proc). The whole object is null for an external target, unless loadgen was given its pid on this machine (--target-pid).',
);

export const LoadgenUsageSchema = Obj(
  {
    clientMode: StringEnum(CLIENT_MODES, 'How clients were run.'),
    processes: Int('Client processes used in the run (workers, or one per client), the parent excluded.'),
    usableCores: Int('min(cores, processes + 1): the most cores loadgen itself could keep busy.', 1),
    cpuUserMs: Num('User CPU of the client processes and the parent, from the release to the end of the run (process.cpuUsage). Unit: ms.'),
    cpuSystemMs: Num('System CPU, likewise. Unit: ms.'),
    cpuTotalMs: Num('cpuUserMs + cpuSystemMs. Unit: ms.'),
    parentCpuMs: Num('Part of cpuTotalMs spent in the parent (barrier, /proc sampling, IPC). Unit: ms.'),
    processCpuMs: Type.Array(Num(''), { description: 'CPU time of each client process during the run. Unit: ms.' }),
    utilization: Num('cpuTotalMs / (wallMs × usableCores). Unitless, 0–1.'),
    maxProcessUtilization: Num('Highest CPU time / wallMs of a single loadgen process (parent included): 1 = one core pegged. Unitless.'),
    maxClientUtilization: Type.Optional(Num('(v2) Highest CPU time ÷ active time of one client process over the run (its `go` → its report): 1 = a client process kept one core busy throughout. The parent is not included. Unitless.')),
    eventLoopDelayP99Ms: Type.Optional(Num('(v2) Highest 99th percentile, over the client processes, of how late their event loop ran a 1 ms timer during the run (perf_hooks.monitorEventLoopDelay, the 1 ms period subtracted). Unit: ms.')),
    eventLoopDelayMaxMs: Type.Optional(Num('(v2) Largest single event-loop delay in any client process during the run. Unit: ms.')),
    saturated: Type.Boolean({ description: 'loadgen itself may have been the bottleneck, so the run understates the server. With the v2 fields: maxClientUtilization ≥ config.saturationThreshold or eventLoopDelayP99Ms ≥ config.eventLoopDelayThresholdMs. Without them (older files): utilization or maxProcessUtilization ≥ config.saturationThreshold.' }),
    sourceAddresses: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Local addresses this run\'s clients connected from, client i from the (i mod length)-th; empty when the OS picked (config.sourceAddresses `auto` with few clients). Absent in files written before it was recorded.',
      }),
    ),
  },
  'loadgen\'s own CPU use during one run.',
);

export const NoiseSchema = Obj(
  {
    foreignCpuShare: Nullable(Num('CPU used by processes outside loadgen\'s and the server\'s process trees (with --target, the server\'s only when given as --target-pid; (v2) a sharded run also leaves out the other shards on this machine, see cohostedShards) (/proc/stat\'s busy time minus the trees\' /proc/<pid>/stat times), as a share of the machine\'s capacity (all CPUs) over windowMs. Null without /proc. Unitless, 0–1.')),
    foreignCpuMs: Nullable(Num('That foreign CPU time. Unit: ms.')),
    windowMs: Num('The window measured: the run, extended back over the quiet window just before it when the run is shorter than config.quietWindowMs. Unit: ms.'),
    loadAverageStart: Type.Array(Type.Number({ minimum: 0 }), { description: '1, 5 and 15 minute load averages when the kept attempt was released.' }),
    loadAverageEnd: Type.Array(Type.Number({ minimum: 0 }), { description: '1, 5 and 15 minute load averages when it ended.' }),
    quietWaitMs: Num('Time spent waiting for a quiet window before the kept attempt. Unit: ms.'),
    quiet: Type.Boolean({ description: 'True if a quiet window was found before the kept attempt within config.quietWaitMs.' }),
    attempts: Int('Attempts run (1 + re-runs of a noisy run); the quietest was kept.', 1),
    attemptShares: Type.Array(Nullable(Num('')), { description: 'foreignCpuShare of every attempt, in order (the kept one included).' }),
    noisy: Type.Boolean({ description: 'True if even the kept attempt\'s foreignCpuShare exceeds config.noiseThreshold: other work shared the machine, so the run may overstate the design\'s times.' }),
    cohostedShards: Type.Optional(Int('(v2) Sharded runs: how many other shards of the sweep ran on this machine (the same kernel boot and pid namespace, as they told the rendezvous); their process trees\' CPU was left out of foreignCpuShare like loadgen\'s own. 0 = none found. Absent in runs that were not sharded.')),
  },
  'How much other work shared the machine during the run. Absent in files written before loadgen 0.3.',
);


/** (v2) What an open-model run measured (runs[].open). */
export const OpenRunSchema = Obj(
  {
    targetRate: Num('The cell\'s target rate. Unit: requests/s.'),
    offeredRate: Num('arrivals ÷ durationMs: the rate actually offered (Poisson arrivals vary around the target). Unit: requests/s.'),
    throughputPerSec: Num('completed ÷ windowMs: the achieved rate. Unit: requests/s.'),
    windowMs: Num('The release → the later of the end of the arrivals (durationMs) and the last reply. Unit: ms.'),
    processes: Int('loadgen client processes that carried the load (each an integral share of the connections and of the rate).', 1),
    seeds: Type.Array(Int(''), { description: 'The arrival seed of each process, in process order (config.open.seed + process index).' }),
    arrivals: Int('Arrivals generated by the schedule during durationMs.'),
    sent: Int('Requests written.'),
    sentLate: Int('Arrivals that found no free slot, waited in the queue (FIFO) and were sent when a slot freed.'),
    dropped: Int('Arrivals that found the queue full (queueLimit) and were never sent.'),
    unsent: Int('Arrivals still queued when the drain ended (counted in errors.timeout).'),
    replies: Int('Replies to workload requests: completed + errorReplies + wrongValues.'),
    completed: Int('OK replies with the expected value.'),
    errorReplies: Int('`ERR` replies to workload requests (by code in errors.protocol).'),
    wrongValues: Int('OK replies with a value other than the expected one (errors.wrongResult).'),
    timeouts: Int('Requests sent but unanswered when the drain ended (counted in errors.timeout).'),
    lost: Int('Requests outstanding on a connection that failed (the connection counts once in errors).'),
    peakQueued: Int('Most arrivals waiting for a slot at one time in one loadgen process.'),
    serviceUs: HistogramSchema,
    pacingLagUs: HistogramSchema,
    meanInSystem: Num('Time-averaged requests in the system over windowMs, counted by the generator from each arrival\'s intended time to its reply (or drop, or the drain\'s end): the L of Little\'s law (L = throughput × mean response time). Unitless.'),
    saturated: Type.Boolean({ description: 'The server could not keep up: throughputPerSec < (1 − config.open.rateTolerance) × offeredRate, or arrivals were dropped. Distinct from generatorLimited.' }),
    generatorLimited: Type.Boolean({ description: 'loadgen itself may have been the bottleneck: pacingLagUs p99 > config.open.pacingLagThresholdMs, or loadgen.saturated.' }),
  },
  '(v2) An open-model run: every arrival accounted for (arrivals = dropped + sent + unsent; sent = replies + timeouts + lost). The run\'s tasks.latencyUs is the response time, from each request\'s intended send time; serviceUs is from its actual send time.',
);

export const ChildSharesSchema = Obj(
  {
    accept: StringEnum(['rr', 'os', 'reuseport'] as const, 'Who accepted: `rr` (node:cluster round-robin, the primary deals connections out), `os` (node:cluster SCHED_NONE, children accept from one shared socket) or `reuseport` (a listening socket per child, SO_REUSEPORT).'),
    accepted: Type.Array(Int(''), { description: 'Connections each child (by its place, 0 … poolSize − 1) accepted during this run. Unit: connections.' }),
    cv: Nullable(Num('Coefficient of variation of `accepted`: population standard deviation ÷ mean; 0 = perfectly even. Null when no connection was counted.')),
    maxMinRatio: Nullable(Num('Largest ÷ smallest of `accepted`; null when a child accepted none (then the spread is total).')),
  },
  'mp-prefork-* only: how the run\'s connections were shared between the children, from the server\'s `idle` log lines (cumulative per-child counts; the run\'s share is the difference across it).',
);

/** (v2) How one shard's release lined up with the agreed start (sharded sweeps, loadgen --shard). */
export const ShardSyncSchema = Obj(
  {
    agreedReleaseAt: Num('The release every shard agreed on, on shard 0\'s clock (performance.timeOrigin + performance.now() there). Unit: ms since the Unix epoch.'),
    releaseErrorMs: Type.Number({ description: 'This shard\'s actual release minus the agreed one, both on shard 0\'s clock (releaseAt − clockOffsetMs − agreedReleaseAt); positive = late. Signed. Unit: ms.' }),
    clockOffsetMs: Type.Number({ description: 'This shard\'s clock minus shard 0\'s, measured just before the run (NTP-style: the shortest of a few round trips). Signed. Unit: ms.' }),
    rttMs: Num('Round trip of the clock exchange kept: the offset is right to within half of it. Unit: ms.'),
  },
  '(v2) How this shard\'s release lined up with the start all shards agreed on. Present in a shard\'s results only.',
);

/** (v2) One shard's part of a merged run. */
export const ShardPartSchema = Obj(
  {
    index: Int('Shard index, from 0.'),
    clients: Int('Clients this shard ran (its integral share of N; of the connections in the open model).'),
    targetRate: Type.Optional(Num('(v2) Open model: this shard\'s integral share of the cell\'s rate. Unit: requests/s.')),
    totalMs: Nullable(Num('This shard\'s own total: its release → its last client\'s end. Null if interrupted. Unit: ms.')),
    sync: ShardSyncSchema,
    loadgen: LoadgenUsageSchema,
  },
  '(v2) One shard\'s part of a merged run: its clients, its start and its own loadgen CPU.',
);

export const RunSchema = Obj(
  {
    index: Int('Run number within the cell, from 0.'),
    serverInstance: Nullable(Int('Index into the cell\'s `servers` of the server this run used; null for an external target (sampled or not).')),
    startedAt: Iso('When the run was released.'),
    complete: Type.Boolean({ description: 'False if the sweep was interrupted during this run.' }),
    releaseAt: Num('The release instant, as performance.timeOrigin + performance.now() (comparable across loadgen\'s processes). Unit: ms since the Unix epoch.'),
    totalMs: Nullable(Num('The lesson\'s figure: release → the last client\'s `Goodbye!` (or failure). Null if interrupted. Unit: ms.')),
    wallMs: Num('Release → every client process reported back (includes IPC). Unit: ms.'),
    connectPhaseMs: Type.Optional(Num('(v2) connect-then-release only: the clients handed to the client processes → every client connected (or failed), i.e. the connects outside the run\'s clock. Unit: ms.')),
    clients: ClientsSchema,
    tasks: Obj(
      {
        expected: Int('Workload tasks the clients should have sent: count × tasksPerClient.'),
        sent: Int('Workload tasks sent.'),
        ok: Int('OK replies with the expected value.'),
        latencyUs: HistogramSchema,
      },
      'Workload tasks (EXIT excluded). Latency: request written → reply received, per task, including time queued at the server.',
    ),
    errors: ErrorCountsSchema,
    errorSamples: Type.Array(Type.String(), { maxItems: 10, description: 'Up to 10 error messages, verbatim, for diagnosis.' }),
    server: Nullable(ServerUsageSchema),
    loadgen: LoadgenUsageSchema,
    noise: Type.Optional(NoiseSchema),
    open: Type.Optional(OpenRunSchema),
    childShares: Type.Optional(Nullable(ChildSharesSchema)),
    sync: Type.Optional(ShardSyncSchema),
    shards: Type.Optional(
      Obj(
        {
          startSkewMs: Num('Latest minus earliest shard release, on shard 0\'s clock (max − min of the parts\' releaseErrorMs). Unit: ms.'),
          parts: Type.Array(ShardPartSchema, { minItems: 1, description: 'Every shard\'s part, in shard order.' }),
        },
        '(v2) A merged run: how its shards started, and each shard\'s own loadgen CPU and saturation. Present in merged results only.',
      ),
    ),
  },
  'One run: N clients released at once, each sending its tasks and EXIT (closed model), or requests arriving at a rate on N connections (open model, see `open`).',
);

export const ServerStopSchema = Obj(
  {
    stopMs: Num('SIGTERM → process exit. Unit: ms.'),
    exitCode: Nullable(Int('Exit code; 0 after a graceful shutdown. Null if killed by a signal.')),
    exitSignal: Nullable(Type.String({ description: 'Signal that ended the process, if any (e.g. SIGKILL after stopTimeoutMs).' })),
    forcedKill: Type.Boolean({ description: 'True if loadgen had to SIGKILL it (or its process group) after stopTimeoutMs.' }),
    leftoverPids: Type.Array(Int(''), { description: 'Processes of its tree still alive after it exited (then killed by loadgen). Should be empty.' }),
    portFree: Nullable(Type.Boolean({ description: 'True if the port refused connections and could be bound again after exit; null if not checked.' })),
    clean: Type.Boolean({ description: 'exitCode 0, no forced kill, no leftovers, port free.' }),
  },
  'How the server stopped.',
);

export const ServerInstanceSchema = Obj(
  {
    index: Int('Index within the cell\'s `servers`.'),
    design: DesignLabelSchema('The server variant.'),
    package: Type.String({ description: 'npm package whose bin was run; `external` for a --server command (v2).' }),
    command: Type.Array(Type.String(), { description: 'Built-in designs: the arguments after the node executable (the bin path, then its flags). A --server command (v2): the whole command, placeholders filled in.' }),
    pid: Nullable(Int('Process id; null if it never started.')),
    port: Nullable(Int('Port it listened on (it was started with --port 0); null if it never did.')),
    startedAt: Iso('When it was spawned.'),
    startupMs: Nullable(Num('Spawn → its `listening` log line (a --server command: spawn → its port accepted a connection). Unit: ms.')),
    io: Type.Optional(Nullable(StringEnum(['thread', 'main'] as const, 'server-mt: which thread did the clients\' socket I/O, from its `listening` log line: `thread` (each client\'s own thread owned its socket) or `main`; null for designs that do not say. Absent in files written before loadgen 0.2.'))),
    stop: Nullable(ServerStopSchema),
    stderrTail: Type.String({ description: 'Last 2 KiB it wrote to stderr (usually empty).' }),
  },
  'A server process loadgen started.',
);

const statOf = (description: string) => Obj(
  {
    median: Nullable(Num('Median of the non-null values (mean of the two middle ones for an even count): the lesson\'s figure.')),
    min: Nullable(Num('Smallest non-null value.')),
    max: Nullable(Num('Largest non-null value.')),
    values: Type.Array(Nullable(Num('')), { description: 'Every run\'s value, in run order (null where a run lacks it).' }),
  },
  description,
);

export const StatSchema = statOf('One metric over a cell\'s runs. Same unit as the metric it summarises.');

export const CellSummarySchema = Obj(
  {
    completedRuns: Int('Runs that finished (not interrupted) with no client error: the runs the stats are taken over.'),
    totalMs: statOf('Run total time (release → last Goodbye). Unit: ms.'),
    serverCpuMs: statOf('Server process-tree CPU per run (user + system). Unit: ms.'),
    serverPeakRssBytes: statOf('Server peak RSS per run. Unit: bytes.'),
    loadgenCpuMs: statOf('loadgen CPU per run (user + system). Unit: ms.'),
    latencyP50Us: statOf('Per-run median task latency. Unit: µs.'),
    latencyP99Us: statOf('Per-run 99th percentile task latency. Unit: µs.'),
    latencyUs: HistogramSchema,
    errors: Int('Errors over all runs (sum of each run\'s errors.total).'),
    saturatedRuns: Int('Runs flagged loadgen.saturated.'),
    noisyRuns: Type.Optional(Int('Runs flagged noise.noisy. Absent before loadgen 0.3.')),
  },
  'Summary of a cell over its completed runs.',
);


/** (v2) The capacity probe of a design × workload (cells[].open.probe). */
export const ProbeSchema = Obj(
  {
    throughputPerSec: Num('completed ÷ durationMs: the capacity the rate percentages are taken of. Unit: requests/s.'),
    durationMs: Num('How long the probe ran (config.open.probeMs, measured). Unit: ms.'),
    completed: Int('OK replies with the expected value during the probe.'),
    errors: Int('Every other outcome of the probe (error replies, wrong values, failed connections, unanswered requests).'),
  },
  '(v2) The capacity probe: every connection kept at maxInFlight requests (a closed loop, no pacing) for probeMs, on the first server of the design × workload\'s first percentage cell.',
);

/** (v2) An open-model cell's rate (cells[].open). */
export const OpenCellSchema = Obj(
  {
    rate: Int('The target rate of every run of the cell. Unit: requests/s.', 1),
    ratePercent: Nullable(Type.Number({ exclusiveMinimum: 0, description: 'The percentage of the probed capacity the rate was derived from (round(capacity × percent / 100), at least 1); null for a rate given in requests/s. Unit: %.' })),
    probe: Nullable(ProbeSchema),
  },
  '(v2) The rate of an open-model cell, and the probe it came from.',
);

export const CellSchema = Obj(
  {
    design: DesignLabelSchema('Server design.'),
    workload: StringEnum(WORKLOAD_NAMES, 'Workload name (see config.workloads).'),
    clients: Int('N: clients per run.', 1),
    complete: Type.Boolean({ description: 'True if all config.runs runs finished.' }),
    servers: Type.Array(ServerInstanceSchema, { description: 'Server processes started for this cell: one per run (serverLifecycle `run`) or one (`cell`); empty for an external target.' }),
    runs: Type.Array(RunSchema, { description: 'The runs, in order.' }),
    summary: CellSummarySchema,
    model: Type.Optional(StringEnum(LOAD_MODELS, '(v2) The cell\'s load model; absent = `closed`.')),
    open: Type.Optional(OpenCellSchema),
  },
  'One design × workload × N combination (closed model), or design × workload × rate (open model: `clients` is the connection count).',
);

export const ResultsSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Optional reference to this schema.' })),
    schemaVersion: Type.Unsafe<number>({ type: 'integer', enum: [...READABLE_SCHEMA_VERSIONS], description: `Version of this format (writers write ${SCHEMA_VERSION}). Readers must reject versions they do not know.` }),
    tool: Obj({ name: Type.String({ description: 'Package name.' }), version: Type.String({ description: 'Package version.' }) }, 'The program that wrote the document.'),
    complete: Type.Boolean({ description: 'True if every planned run finished; false if the sweep was interrupted (e.g. Ctrl-C).' }),
    abortReason: Nullable(Type.String({ description: 'Why the sweep stopped early (e.g. `SIGINT`); null if complete.' })),
    startedAt: Iso('Sweep start.'),
    endedAt: Iso('Sweep end.'),
    durationMs: Num('Sweep wall time. Unit: ms.'),
    scale: Type.String({ description: 'The time scale in words, e.g. `timeScale 0.01: tasks of 30 ms instead of 3000 ms`.' }),
    environment: EnvironmentSchema,
    config: ConfigSchema,
    cells: Type.Array(CellSchema, { description: 'Every design × workload × N cell, in sweep order.' }),
    warnings: Type.Array(Type.String(), { description: 'Anything that may make numbers less trustworthy (leftover processes, saturated runs, errors).' }),
    budget: Type.Optional(BudgetSchema),
    shard: Type.Optional(
      Obj(
        {
          index: Int('This shard\'s index, from 0.'),
          count: Int('How many shards ran the sweep.', 1),
          source: StringEnum(['flag', 'slurm', 'k8s'] as const, 'Where the identity came from: --shard i/n, Slurm (SLURM_PROCID/SLURM_NTASKS) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX).'),
          sweepId: Type.String({ description: 'Id shard 0 gave the sharded sweep: every shard of one sweep has the same; merge refuses files of different sweeps.' }),
          host: Type.String({ description: 'Host name of the machine the shard ran on (os.hostname()).' }),
          node: Nullable(Type.String({ description: 'Slurm\'s node name (SLURMD_NODENAME); null outside Slurm.' })),
          rendezvous: Nullable(Type.String({ description: 'host:port of the rendezvous (shard 0); null for a single shard.' })),
        },
        '(v2) This file is one shard of a sharded sweep: who ran it. Absent in unsharded and merged results.',
      ),
    ),
    merged: Type.Optional(
      Obj(
        {
          sweepId: Type.String({ description: 'The shards\' common sweepId.' }),
          count: Int('Shards merged.', 1),
          maxStartSkewMs: Nullable(Num('Largest runs[].shards.startSkewMs over the sweep; null if no run. Unit: ms.')),
          shards: Type.Array(
            Obj(
              {
                index: Int('Shard index.'),
                host: Type.String({ description: 'Its host name.' }),
                node: Nullable(Type.String({ description: 'Its Slurm node name, if any.' })),
                startedAt: Iso('Its sweep start.'),
                durationMs: Num('Its sweep wall time. Unit: ms.'),
                complete: Type.Boolean({ description: 'Its own complete flag.' }),
              },
              'One merged shard file.',
            ),
            { minItems: 1, description: 'The shard files merged, in shard order.' },
          ),
        },
        '(v2) This file merges the shards of a sharded sweep (socketlab-loadgen merge). Absent otherwise.',
      ),
    ),
  },
  {
    $id: 'https://github.com/socketlab/socketlab/blob/main/packages/results/schema.json',
    title: 'socketlab loadgen results',
    description: 'Results of a socketlab loadgen sweep. Every field and unit is described in docs/results-format.md.',
    additionalProperties: false,
  },
);

export type WorkloadDefinition = Static<typeof WorkloadSchema>;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];
export type ReplyExpectation = Static<typeof ExpectationSchema>;
export type ExternalServer = Static<typeof ExternalServerSchema>;
export type ProtocolConfig = Static<typeof ProtocolConfigSchema>;
export type ResolvedSweepConfig = Static<typeof ConfigSchema>;
export type Environment = Static<typeof EnvironmentSchema>;
export type HistogramRecord = Static<typeof HistogramSchema>;
export type ErrorCounts = Static<typeof ErrorCountsSchema>;
export type ClientTimings = Static<typeof ClientsSchema>;
export type ServerUsage = Static<typeof ServerUsageSchema>;
export type LoadgenUsage = Static<typeof LoadgenUsageSchema>;
export type RunNoise = Static<typeof NoiseSchema>;
export type ShardSync = Static<typeof ShardSyncSchema>;
export type ShardPart = Static<typeof ShardPartSchema>;
export type RunResult = Static<typeof RunSchema>;
export type ChildShares = Static<typeof ChildSharesSchema>;
export type ServerStop = Static<typeof ServerStopSchema>;
export type ServerInstance = Static<typeof ServerInstanceSchema>;
export type Stat = Static<typeof StatSchema>;
export type CellSummary = Static<typeof CellSummarySchema>;
export type CellResult = Static<typeof CellSchema>;
export type SweepResults = Static<typeof ResultsSchema>;
export type OpenConfig = Static<typeof OpenConfigSchema>;
export type OpenRunResult = Static<typeof OpenRunSchema>;
export type OpenCell = Static<typeof OpenCellSchema>;
export type CapacityProbe = Static<typeof ProbeSchema>;

/** The results JSON Schema as plain JSON (what schema.json holds): TypeBox's symbols dropped. */
export function resultsJsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...(JSON.parse(JSON.stringify(ResultsSchema)) as Record<string, unknown>) };
}
