import type { WorkloadCharts } from '../charts.ts';

/** What the Markdown needs besides the analysis. */
export interface MarkdownContext {
  readonly title: string;
  readonly charts: readonly WorkloadCharts[];
  readonly stopScalingFactor: number;
  readonly logScaleSpread: number;
}
