import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, logScaleFor, round, subtitle, title, yScale, type ChartDefinition } from './charts.ts';
import type { OpenWorkloadAnalysis } from './open-analysis.ts';

/** The three curves of a latency-vs-throughput panel, and their colours. */
const SERIES = ['response p50', 'response p99', 'service p99'] as const;
const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b'];
const SATURATED_COLOR = '#e45756';
const FACET_WIDTH = 260; // px
const FACET_HEIGHT = 170; // px

/**
 * Latency against achieved throughput (the hockey stick), one panel per design: response time p50 and
 * p99 (from each request's intended send time) and service time p99 (from its actual send time), one
 * point per rate. Saturated or generator-limited rates get a red ring on their response p99; the knee is
 * a dashed vertical line. The x axis is the throughput achieved, not the target: past the knee the points
 * bunch up at the capacity while the latency climbs.
 */
export function latencyThroughputChart(w: OpenWorkloadAnalysis, spread: number): ChartDefinition | null {
  const rows = w.curves.flatMap((c) =>
    c.points.flatMap((p) => {
      const flagged = p.saturated || p.generatorLimited;
      const base = { design: c.design, throughput: round(p.throughput, 1), rate: p.rate, flagged, knee: c.knee === p };
      return [
        { ...base, series: SERIES[0], ms: round(p.responseP50Ms, 3) },
        { ...base, series: SERIES[1], ms: round(p.responseP99Ms, 3) },
        { ...base, series: SERIES[2], ms: round(p.serviceP99Ms, 3) },
      ];
    }),
  );
  if (rows.length === 0) return null;
  const shown = w.curves.filter((c) => c.points.length > 0).map((c) => c.design);
  const scale = logScaleFor(rows.map((r) => Math.max(r.ms, 0.001)), spread);
  const x = { field: 'throughput', type: 'quantitative' as const, title: 'achieved throughput (requests/s)', scale: { zero: true }, axis: { tickCount: 5 } };
  const y = { field: 'ms', type: 'quantitative' as const, title: 'latency (ms)', scale: yScale(scale.log) };
  const color = { field: 'series', type: 'nominal' as const, title: null, sort: [...SERIES], scale: { domain: [...SERIES], range: SERIES_COLORS } };
  const alt = `Latency vs throughput, open model, per design, ${w.workload.name}`;
  return {
    name: `latency-vs-throughput-${w.workload.name}`,
    alt,
    runPoints: 0,
    spec: {
      description: alt,
      background: 'white',
      padding: 8,
      title: title(`Latency vs throughput, open model (${w.workload.name})`, [
        'one point per target rate; response time from the intended send, service time from the actual send',
        'red ring: saturated or generator-limited; dashed line: the knee',
        ...subtitle(scale),
      ]),
      data: { values: rows },
      facet: { field: 'design', type: 'nominal', sort: shown, title: null },
      columns: Math.min(3, shown.length),
      spec: {
        width: FACET_WIDTH,
        height: FACET_HEIGHT,
        layer: [
          {
            mark: { type: 'line', point: { filled: true, size: 25 }, strokeWidth: 1.5 },
            encoding: { x, y, color, tooltip: [{ field: 'design' }, { field: 'rate', title: 'target (requests/s)' }, { field: 'throughput', title: 'achieved (requests/s)' }, { field: 'series' }, { field: 'ms', title: 'latency (ms)', format: '.3f' }] },
          },
          {
            transform: [{ filter: `datum.flagged && datum.series === '${SERIES[1]}'` }],
            mark: { type: 'point', filled: false, size: 140, strokeWidth: 2, color: SATURATED_COLOR },
            encoding: { x, y },
          },
          {
            transform: [{ filter: `datum.knee && datum.series === '${SERIES[1]}'` }],
            mark: { type: 'rule', color: '#888888', strokeDash: [4, 4] },
            encoding: { x },
          },
        ],
      },
      config: CONFIG,
    } as TopLevelSpec,
  };
}
