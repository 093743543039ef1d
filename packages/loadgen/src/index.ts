// @socketlab/loadgen: sweeps of socketlab server designs × client counts × runs × workloads, written as
// one versioned JSON document. The CLI (bin socketlab-loadgen) lives in ./cli.ts.
import { resultsJsonSchema as _schema } from './schema.ts';

export { runSweep, estimateRunMs, VERSION } from './sweep.ts';
export type { SweepHooks, SweepProgressEvent, RunPosition } from './sweep.ts';
export { PRESETS, DEFAULT_SWEEP_OPTIONS, resolveConfig, describeScale, parseTarget, autoRunTimeoutMs } from './options.ts';
export type { SweepOptions, PresetDefinition } from './options.ts';
export {
  SCHEMA_VERSION, ResultsSchema, ConfigSchema, HISTOGRAM_ENCODING, resultsJsonSchema,
  DESIGNS, PRESET_NAMES, CLIENT_MODES, SERVER_LIFECYCLES, WORKLOAD_NAMES, COST_MODELS,
} from './schema.ts';
export type {
  SweepResults, ResolvedSweepConfig, WorkloadDefinition, Environment, CellResult, CellSummary, RunResult, ServerInstance, ServerStop,
  ServerUsage, LoadgenUsage, ClientTimings, ErrorCounts, HistogramRecord, Stat,
  DesignName, DesignLabel, PresetName, ClientMode, ServerLifecycle, WorkloadName, WorkloadCostModel,
} from './schema.ts';
export { validateResults, assertValidResults, validateConfig } from './validate.ts';
export type { ValidationIssue, ValidationResult } from './validate.ts';
export { NOMINAL_TASK_MS, FIB_REFERENCE, resolveWorkload, expectedReply, fibNForMs, fibValue, clientRequests } from './workloads.ts';
export { HISTOGRAM_SETTINGS, createHistogram, decodeHistogram, encodeHistogram, mergeHistograms, histogramRecord } from './histogram.ts';
export type { Histogram } from './histogram.ts';
export { writeResults, defaultResultsDir, findWorkspaceRoot, resultsFileName } from './output.ts';
export { mediansTable } from './table.ts';
export { median, stat } from './stats.ts';
export { DESIGN_COMMANDS, resolveBin, portIsFree } from './server-process.ts';
export { ServerStartError, LoadgenWorkerError, ResultsInvalidError, LOADGEN_ERROR_CLASSES } from './errors.ts';

/** The results JSON Schema (the content of schema.json), as a plain object. */
export const RESULTS_JSON_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze(_schema());
