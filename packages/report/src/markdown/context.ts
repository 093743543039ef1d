import type { WorkloadCharts } from '../charts.ts';

/** What the Markdown needs besides the analysis. */
export interface MarkdownContext {
  readonly title: string;
  readonly charts: readonly WorkloadCharts[];
  readonly kneeElasticity: number;
  readonly logScaleSpread: number;
}
