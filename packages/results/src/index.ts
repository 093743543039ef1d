// @socketlab/results: the results format of a socketlab sweep, and everything needed to read it: the
// schema (TypeBox, its TypeScript types and schema.json), the validator, the HDR histogram codec, the
// summary statistics, the design catalogue, and the conversion of a recorded config back into loadgen's
// command line. loadgen writes through it, the report reads through it; neither needs the other.
import { resultsJsonSchema as _schema } from './schema.ts';

export {
  SCHEMA_VERSION, READABLE_SCHEMA_VERSIONS, ResultsSchema, ConfigSchema, HISTOGRAM_ENCODING, resultsJsonSchema,
  PRESET_NAMES, CLIENT_MODES, SERVER_LIFECYCLES, WORKLOAD_NAMES, COST_MODELS, PROTOCOL_NAMES, LOAD_MODELS, ARRIVAL_PROCESSES, RUN_DEFINITIONS,
} from './schema.ts';
export { LEGACY_RUN_DEFINITION, runDefinitionOf } from './run-definition.ts';
export type { SweepBudget, BudgetComparison } from './schema-budget.ts';
export type {
  SweepResults, ResolvedSweepConfig, WorkloadDefinition, Environment, CellResult, CellSummary, RunResult, ServerInstance, ServerStop,
  ServerUsage, LoadgenUsage, RunNoise, ChildShares, ShardSync, ShardPart, ClientTimings, ErrorCounts, HistogramRecord, Stat,
  PresetName, ClientMode, ServerLifecycle, WorkloadName, WorkloadCostModel, ProtocolName, ReplyExpectation, ExternalServer, ProtocolConfig,
  LoadModel, ArrivalProcess, OpenConfig, OpenRunResult, OpenCell, CapacityProbe, RunDefinition,
} from './schema.ts';
export { schemaFileText } from './schema-file.ts';
export { DESIGNS, DESIGN_CATALOGUE, USER_DESIGN_NAME, RETIRED_DESIGNS, designOf, designArgs, isBuiltIn, isPool, isPerConnection } from './designs.ts';
export type { DesignName, DesignLabel, DesignDefinition, Executor, Accept } from './designs.ts';
export { validateResults, assertValidResults, validateConfig } from './validate.ts';
export type { ValidationIssue, ValidationResult } from './validate.ts';
export { HISTOGRAM_SETTINGS, createHistogram, recordUs, decodeHistogram, encodeHistogram, mergeHistograms, histogramRecord, summarizeLatency } from './histogram.ts';
export type { Histogram, LatencySummary } from './histogram.ts';
export { median, stat, round3, shareSpread, mulberry32 } from './stats.ts';
export { sweepFlags, clientsFlag } from './command-line.ts';
export { findWorkspaceRoot, defaultResultsDir, LATEST_RESULTS_NAME } from './workspace.ts';
export {
  HAS_PROCFS, clockTicksPerSecond, pageSizeBytes, ticksToMs, processCpuMs, readProcStat, processTree, allStats, isAlive, sampleTree, openFileLimit, somaxconn, localPortRange,
  readMachineCpu, parseMachineCpu, treeCpuTicks, treesCpuTicks,
} from './procfs.ts';
export type { ProcStat, TreeSample, MachineCpu } from './procfs.ts';
export { ResultsInvalidError, ResultsInconsistentError, RESULTS_ERROR_CLASSES } from './errors.ts';
export { COMPARISON_RULE, compareRuns, mannWhitney } from './compare-rule.ts';
export type { Comparison, Verdict } from './compare-rule.ts';
export { checkedHistogram, checkRunConsistency, sumErrorCounts } from './consistency.ts';

/** The results JSON Schema (the content of schema.json), as a plain object. */
export const RESULTS_JSON_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze(_schema());
