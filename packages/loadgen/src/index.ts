// @socketlab/loadgen: sweeps of socketlab server designs × client counts × runs × workloads, written as
// one versioned JSON document. The CLI (bin socketlab-loadgen) lives in ./cli.ts. The format itself
// (schema, types, validator, histograms, design catalogue) is @socketlab/results'; what loadgen always
// exported from it is re-exported here so that existing imports keep working.
import { DESIGN_CATALOGUE, type DesignName } from '@socketlab/results';

export { runSweep } from './sweep/run-sweep.ts';
export { estimateRunMs } from './sweep/estimate.ts';
export type { SweepHooks, SweepProgressEvent, RunPosition } from './sweep/events.ts';
export { VERSION } from './version.ts';
export { PRESETS, DEFAULT_SWEEP_OPTIONS, MAX_CLIENTS, resolveConfig, describeScale, parseTarget, autoRunTimeoutMs } from './options.ts';
export type { SweepOptions, PresetDefinition } from './options.ts';
export {
  SCHEMA_VERSION, ResultsSchema, ConfigSchema, HISTOGRAM_ENCODING, resultsJsonSchema, RESULTS_JSON_SCHEMA,
  DESIGNS, PRESET_NAMES, CLIENT_MODES, SERVER_LIFECYCLES, WORKLOAD_NAMES, COST_MODELS,
  validateResults, assertValidResults, validateConfig,
  HISTOGRAM_SETTINGS, createHistogram, decodeHistogram, encodeHistogram, mergeHistograms, histogramRecord,
  median, stat, defaultResultsDir, findWorkspaceRoot,
} from '@socketlab/results';
export type {
  SweepResults, ResolvedSweepConfig, WorkloadDefinition, Environment, CellResult, CellSummary, RunResult, ServerInstance, ServerStop,
  ServerUsage, LoadgenUsage, ClientTimings, ErrorCounts, HistogramRecord, Stat,
  DesignName, DesignLabel, PresetName, ClientMode, ServerLifecycle, WorkloadName, WorkloadCostModel,
  ValidationIssue, ValidationResult, Histogram,
} from '@socketlab/results';
export { NOMINAL_TASK_MS, FIB_REFERENCE, resolveWorkload, expectedReply, fibNForMs, fibValue, clientRequests } from './workloads.ts';
export { writeResults, resultsFileName } from './output.ts';
export { mediansTable } from './table.ts';
export { resolveBin } from './server-process.ts';
export { portIsFree } from './server-ports.ts';
export { ServerStartError, LoadgenWorkerError, ShardRendezvousError, ShardTimeoutError, ShardMergeError, ClientCapacityError, ResultsInvalidError, LOADGEN_ERROR_CLASSES } from './errors.ts';
export { mergeShardResults } from './shard/merge.ts';
export type { ShardIdentity, Share } from './shard/contract.ts';
export type { ShardHooks } from './sweep/events.ts';
export { parseSourceAddresses, sourceAddressesFor, checkClientCapacity, autoClientsPerAddress } from './capacity.ts';
export type { SourceAddressesOption, MachineLimits } from './capacity.ts';

/**
 * How loadgen starts each design: its package and flags. Kept for existing callers; it is a view of
 * @socketlab/results' DESIGN_CATALOGUE, which new code should read instead.
 */
export const DESIGN_COMMANDS: Readonly<Record<DesignName, { package: string; args: readonly string[]; pool: boolean }>> = Object.freeze(
  Object.fromEntries(Object.values(DESIGN_CATALOGUE).map((d) => [d.name, Object.freeze({ package: d.package, args: d.flags, pool: d.pool })])) as Record<DesignName, { package: string; args: readonly string[]; pool: boolean }>,
);
