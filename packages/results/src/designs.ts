/**
 * The design catalogue: the six server variants socketlab measures, declared once. loadgen starts them
 * from it, the report words its prose and its reproduce commands from it, and tools/bench starts them
 * from it. A design is a package's bin plus the flags that select it.
 */

/** The six server variants loadgen can start itself, in the order sweeps and reports list them. */
export const DESIGNS = ['single-iterative', 'single-event-loop', 'mp-per-connection', 'mp-pool', 'mt-per-connection', 'mt-pool'] as const;
export type DesignName = (typeof DESIGNS)[number];
/** A design in the results: one of DESIGNS, or `external` for a `--target` server loadgen did not start. */
export type DesignLabel = DesignName | 'external';

/** What runs a client's tasks besides the server's own thread: nothing, a child process or a worker thread. */
export type Executor = 'none' | 'process' | 'thread';

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
}

export const DESIGN_CATALOGUE: Readonly<Record<DesignName, DesignDefinition>> = Object.freeze({
  'single-iterative': { name: 'single-iterative', package: '@socketlab/server-single', flags: ['--mode', 'iterative'], executor: 'none', pool: false },
  'single-event-loop': { name: 'single-event-loop', package: '@socketlab/server-single', flags: ['--mode', 'event-loop'], executor: 'none', pool: false },
  'mp-per-connection': { name: 'mp-per-connection', package: '@socketlab/server-mp', flags: ['--strategy', 'per-connection'], executor: 'process', pool: false },
  'mp-pool': { name: 'mp-pool', package: '@socketlab/server-mp', flags: ['--strategy', 'pool'], executor: 'process', pool: true },
  'mt-per-connection': { name: 'mt-per-connection', package: '@socketlab/server-mt', flags: ['--strategy', 'per-connection'], executor: 'thread', pool: false },
  'mt-pool': { name: 'mt-pool', package: '@socketlab/server-mt', flags: ['--strategy', 'pool'], executor: 'thread', pool: true },
} satisfies Record<DesignName, DesignDefinition>);

/** The catalogue entry of a design; null for `external` (loadgen did not start it, so its design is unknown). */
export function designOf(label: DesignLabel | string): DesignDefinition | null {
  return Object.hasOwn(DESIGN_CATALOGUE, label) ? DESIGN_CATALOGUE[label as DesignName] : null;
}

/** True for the pool designs (mp-pool, mt-pool). */
export function isPool(label: DesignLabel | string): boolean {
  return designOf(label)?.pool ?? false;
}

/** True for the designs that start an executor per connection (mp-per-connection, mt-per-connection). */
export function isPerConnection(label: DesignLabel | string): boolean {
  const d = designOf(label);
  return d !== null && d.executor !== 'none' && !d.pool;
}

/** The bin arguments that start `design`: its flags, plus `--pool-size` for a pool. */
export function designArgs(design: DesignName, poolSize: number): string[] {
  const d = DESIGN_CATALOGUE[design];
  return [...d.flags, ...(d.pool ? ['--pool-size', String(poolSize)] : [])];
}
