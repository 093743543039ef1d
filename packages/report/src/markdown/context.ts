import type { ChartDefinition, WorkloadCharts } from '../charts.ts';

/** What the Markdown needs besides the analysis. */
export interface MarkdownContext {
  readonly title: string;
  readonly charts: readonly WorkloadCharts[];
  readonly kneeElasticity: number;
  readonly logScaleSpread: number;
  /** The open model's latency-vs-throughput charts, one per workload of analysis.open (null: none drawn). */
  readonly openCharts?: readonly (ChartDefinition | null)[];
  /** The name the runs' CSV is written under: `runs.csv`, or `runs.csv.gz` in a light folder. Default: `runs.csv`. */
  readonly runsCsvName?: string;
}
