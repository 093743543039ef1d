/**
 * The design catalogue: the server variants socketlab measures, declared once. loadgen starts them
 * from it, the report words its prose and its reproduce commands from it, and tools/bench starts them
 * from it. A design is a package's bin plus the flags that select it.
 */

/**
 * The server variants loadgen can start itself, in the order sweeps and reports list them. Newer
 * variants are appended so that the older ones keep their places (and colours): the two `-recycled` ones
 * (per-connection with recycled workers: Apache's spare-server model; they took the places of the
 * earlier `-warm` ones, one-shot warm spares), then the three `mp-prefork-*` ones (children that accept for
 * themselves); the presets name their designs explicitly.
 */
export const DESIGNS = [
  'single-iterative', 'single-event-loop', 'mp-per-connection', 'mp-pool', 'mt-per-connection', 'mt-pool', 'mp-per-connection-recycled', 'mt-per-connection-recycled',
  'mp-prefork-rr', 'mp-prefork-os', 'mp-prefork-reuseport',
] as const;
export type DesignName = (typeof DESIGNS)[number];
/**
 * Built-in designs of earlier results that are no longer in DESIGNS: `mp-per-connection-warm` and
 * `mt-per-connection-warm` (one-shot warm spares, each serving one client and exiting; their places went
 * to the `-recycled` designs). Results that name them still validate and load; they are no longer
 * started, and a report words them as designs it does not know.
 */
export const RETIRED_DESIGNS: readonly string[] = ['mp-per-connection-warm', 'mt-per-connection-warm'];
/**
 * A design in the results: one of DESIGNS, `external` for a `--target` server loadgen did not start, or
 * the name of a user's server that loadgen started from a command (`--server NAME=COMMAND`, listed in
 * the results' `config.servers`). `designOf()` is null for the last two: their design is not known.
 */
// `string & {}` (not plain string) keeps the built-in names visible to editors' completion.
export type DesignLabel = DesignName | 'external' | (string & {});

/** A user-defined design's name (`--server NAME=…`): lower-case letters, digits, `.`, `_`, `-`. */
export const USER_DESIGN_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** True for the designs loadgen starts from its catalogue. */
export function isBuiltIn(label: DesignLabel): label is DesignName {
  return Object.hasOwn(DESIGN_CATALOGUE, label);
}

/** What runs a client's tasks besides the server's own thread: nothing, a child process or a worker thread. */
export type Executor = 'none' | 'process' | 'thread';

/**
 * Who accepts a client's connection: the server's `main` thread (every design but prefork; and
 * mp-prefork-rr's node:cluster primary, which accepts and deals connections out in turn), the children
 * from one `children-shared` listening socket (node:cluster SCHED_NONE: the kernel wakes one), or each
 * child from its own `children-reuseport` socket on the shared port (SO_REUSEPORT: the kernel hashes).
 */
export type Accept = 'main' | 'children-shared' | 'children-reuseport';

export interface DesignDefinition {
  readonly name: DesignName;
  /** The package whose bin starts the design. */
  readonly package: '@socketlab/server-single' | '@socketlab/server-mp' | '@socketlab/server-mt';
  /** The flags that select the design on that bin. */
  readonly flags: readonly string[];
  /** What runs a client's tasks. */
  readonly executor: Executor;
  /** True for a fixed pool of executors (sized by `--pool-size`); false for one per connection or none. */
  readonly pool: boolean;
  /**
   * True for recycled workers (server-mp and server-mt `--max-connections-per-worker 0`): loadgen starts
   * the server with one idle spare per client of the cell (N: `--min-spares N --max-spares N`), so that
   * every client of the burst finds its executor already started (the start-up cost is then in the
   * server's `startupMs`, before the burst); each serves its client's whole connection and then waits,
   * idle, for the next instead of exiting.
   */
  readonly recycled: boolean;
  /**
   * Which thread reads and writes a client's socket: the server's `main` thread, the client's own
   * `process`, or its own `thread` where the Node line can transfer a socket to a worker thread and the
   * main thread otherwise (the results record which ran: `servers[].io`).
   */
  readonly socketIo: 'main' | 'process' | 'thread-or-main';
  /** Who accepts connections (see Accept). */
  readonly accept: Accept;
}

export const DESIGN_CATALOGUE: Readonly<Record<DesignName, DesignDefinition>> = Object.freeze({
  'single-iterative': { name: 'single-iterative', package: '@socketlab/server-single', flags: ['--mode', 'iterative'], executor: 'none', pool: false, recycled: false, socketIo: 'main', accept: 'main' },
  'single-event-loop': { name: 'single-event-loop', package: '@socketlab/server-single', flags: ['--mode', 'event-loop'], executor: 'none', pool: false, recycled: false, socketIo: 'main', accept: 'main' },
  'mp-per-connection': { name: 'mp-per-connection', package: '@socketlab/server-mp', flags: ['--strategy', 'per-connection'], executor: 'process', pool: false, recycled: false, socketIo: 'process', accept: 'main' },
  'mp-pool': { name: 'mp-pool', package: '@socketlab/server-mp', flags: ['--strategy', 'pool'], executor: 'process', pool: true, recycled: false, socketIo: 'process', accept: 'main' },
  'mt-per-connection': { name: 'mt-per-connection', package: '@socketlab/server-mt', flags: ['--strategy', 'per-connection'], executor: 'thread', pool: false, recycled: false, socketIo: 'thread-or-main', accept: 'main' },
  'mt-pool': { name: 'mt-pool', package: '@socketlab/server-mt', flags: ['--strategy', 'pool'], executor: 'thread', pool: true, recycled: false, socketIo: 'main', accept: 'main' },
  // The lesson's designs with Apache's spare-server model: a recycled process or thread per connection.
  'mp-per-connection-recycled': { name: 'mp-per-connection-recycled', package: '@socketlab/server-mp', flags: ['--strategy', 'per-connection', '--max-connections-per-worker', '0'], executor: 'process', pool: false, recycled: true, socketIo: 'process', accept: 'main' },
  'mt-per-connection-recycled': { name: 'mt-per-connection-recycled', package: '@socketlab/server-mt', flags: ['--strategy', 'per-connection', '--max-connections-per-worker', '0'], executor: 'thread', pool: false, recycled: true, socketIo: 'thread-or-main', accept: 'main' },
  // Pre-forked children (sized by --pool-size) that each serve what they accept on their own event loop.
  'mp-prefork-rr': { name: 'mp-prefork-rr', package: '@socketlab/server-mp', flags: ['--strategy', 'prefork', '--accept', 'rr'], executor: 'process', pool: true, recycled: false, socketIo: 'process', accept: 'main' },
  'mp-prefork-os': { name: 'mp-prefork-os', package: '@socketlab/server-mp', flags: ['--strategy', 'prefork', '--accept', 'os'], executor: 'process', pool: true, recycled: false, socketIo: 'process', accept: 'children-shared' },
  'mp-prefork-reuseport': { name: 'mp-prefork-reuseport', package: '@socketlab/server-mp', flags: ['--strategy', 'prefork', '--accept', 'reuseport'], executor: 'process', pool: true, recycled: false, socketIo: 'process', accept: 'children-reuseport' },
} satisfies Record<DesignName, DesignDefinition>);

/** The catalogue entry of a design; null for `external` (loadgen did not start it, so its design is unknown). */
export function designOf(label: DesignLabel | string): DesignDefinition | null {
  return Object.hasOwn(DESIGN_CATALOGUE, label) ? DESIGN_CATALOGUE[label as DesignName] : null;
}

/** True for the designs with a fixed set of executors sized by `--pool-size` (mp-pool, mt-pool, mp-prefork-*). */
export function isPool(label: DesignLabel | string): boolean {
  return designOf(label)?.pool ?? false;
}

/** True for the designs that give each connection an executor of its own (mp-per-connection, mt-per-connection and their recycled variants). */
export function isPerConnection(label: DesignLabel | string): boolean {
  const d = designOf(label);
  return d !== null && d.executor !== 'none' && !d.pool;
}

/** The bin arguments that start `design`: its flags, plus `--pool-size` for a pool and `--min-spares` and `--max-spares <clients>` for a recycled design. */
export function designArgs(design: DesignName, poolSize: number, clients = 1): string[] {
  const d = DESIGN_CATALOGUE[design];
  return [...d.flags, ...(d.pool ? ['--pool-size', String(poolSize)] : []), ...(d.recycled ? ['--min-spares', String(clients), '--max-spares', String(clients)] : [])];
}
