// @socketlab/report: loadgen results JSON → a write-up (README.md + one SVG per chart + index.html).
// ESM only (vega is ESM-only with top-level await). The CLI (bin socketlab-report) lives in ./cli.ts.

export { buildReport, renderReport } from './report.ts';
export type { RenderedReport, RenderedChart, ReportResult, RenderOptions } from './report.ts';
export { DEFAULT_REPORT_OPTIONS, resolveReportOptions, resolveContentOptions, resolveInputs, inputCopyName, INPUT_COPY_NAME } from './options.ts';
export type { ReportOptions, ResolvedReportOptions } from './options.ts';
export { readInput, parseResults, checkResults, inputFromResults, combineInputs } from './load.ts';
export type { LoadedInput, Dataset, DataCell, SourcedRun } from './load.ts';
export { analyse, linearFit, lanesFor, classifyTask, BASELINE_DESIGN, SCALING_RULE, compareCells } from './analysis.ts';
export type {
  Analysis, WorkloadAnalysis, DesignAnalysis, CellStats, RunPoint, LinearFit, Scaling, CostModel, Lane, TaskKind, TaskShare, FastestSegment, RunFlag, MissingCell,
} from './analysis.ts';
export { summarizeLatency } from '@socketlab/results';
export { compareRuns, mannWhitney, COMPARISON_RULE } from '@socketlab/results';
export type { Comparison, Verdict } from '@socketlab/results';
export type { LatencySummary } from '@socketlab/results';
export { PROSE_RULES, nodeLimits } from './prose.ts';
export { CHART_PREFIXES, logScaleFor } from './charts.ts';
export { renderSvg, normalizeSvgIds } from './svg.ts';
export { ReportInputError, ReportInputTooLargeError, ReportMergeError, ReportOutDirError, REPORT_ERROR_CLASSES } from './errors.ts';
export { MANIFEST_NAME } from './out-dir.ts';
export { runsCsv, RUNS_CSV_NAME, RUNS_CSV_COLUMNS, RUNS_CSV_LEFT_OUT } from './csv.ts';
export type { RunsCsvColumn } from './csv.ts';
export { compareSweeps, renderComparison, compareInputs, resolveCompareOptions, DEFAULT_COMPARE_OPTIONS } from './compare.ts';
export type { CompareOptions, ResolvedCompareOptions, CompareResult, RenderedComparison } from './compare.ts';
export type { SweepComparison, CellComparison, CellKey, Difference } from './comparison.ts';
export { LESSON_SERIES, LESSON_CLIENTS, LESSON_TASK, lessonMedianMs } from './lesson-data.ts';
export type { LessonSeries, LessonDesign } from './lesson-data.ts';
