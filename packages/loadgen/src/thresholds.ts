import { InvalidOptionError } from '@socketlab/protocol';
import { DESIGNS, WORKLOAD_NAMES, type CellResult, type SweepResults } from '@socketlab/results';

/**
 * Pass/fail thresholds a CI job puts on a sweep, k6-style: one expression per `--threshold`.
 *
 *   [design[:workload[:N]]:]metric op value[unit]
 *
 * - design: a design name, `external` (with --target) or `*`; workload: a workload name or `*`; N: a client
 *   count or `*`. Omitted fields match everything: `p99<50ms` holds for every cell.
 * - metric: `total.median`, `total.min`, `total.max` (a cell's run total times), `latency.p50`, `latency.p90`,
 *   `latency.p99`, `latency.max` (the cell's merged task-latency histogram; `p50`, `p90`, `p99` are
 *   aliases), or `errors` (client errors summed over the cell's runs).
 * - op: `<`, `<=`, `>`, `>=`; value: a number, with `us`, `ms` (the default) or `s` for times, none for `errors`.
 *
 * A threshold fails when any cell it selects breaks it, when a selected cell has no value (no run finished
 * without errors), or when it selects no cell at all (a typo must not pass silently).
 */
export const THRESHOLD_METRICS = ['total.median', 'total.min', 'total.max', 'latency.p50', 'latency.p90', 'latency.p99', 'latency.max', 'errors'] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];
const ALIASES: Readonly<Record<string, ThresholdMetric>> = Object.freeze({ p50: 'latency.p50', p90: 'latency.p90', p99: 'latency.p99' });
type Op = '<=' | '>=' | '<' | '>';
/** Time units a value may carry, in ms. */
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ us: 0.001, ms: 1, s: 1000 });

export interface Threshold {
  /** The expression as typed. */
  readonly text: string;
  readonly design: string | null;
  readonly workload: string | null;
  readonly clients: number | null;
  readonly metric: ThresholdMetric;
  readonly op: Op;
  /** In ms for time metrics, a count for `errors`. */
  readonly limit: number;
}

/** Parses one expression; throws InvalidOptionError naming `flag`. */
export function parseThreshold(text: string, flag = '--threshold'): Threshold {
  const fail = (why: string): never => {
    throw new InvalidOptionError(`${flag} "${text}": ${why}; expected [design[:workload[:N]]:]metric<value, e.g. mt-pool:sleep:total.median<2s or p99<50ms`);
  };
  const parts = text.trim().split(':');
  const expr = parts.pop()!.replace(/\s+/g, '');
  if (parts.length > 3) fail('too many selector fields');
  const field = (i: number) => (parts[i] === undefined || parts[i] === '*' ? null : parts[i]!);
  const design = field(0);
  const workload = field(1);
  const n = field(2);
  if (design !== null && design !== 'external' && !(DESIGNS as readonly string[]).includes(design)) fail(`unknown design "${design}" (${DESIGNS.join(', ')}, external or *)`);
  if (workload !== null && !(WORKLOAD_NAMES as readonly string[]).includes(workload)) fail(`unknown workload "${workload}" (${WORKLOAD_NAMES.join(', ')} or *)`);
  if (n !== null && !/^[1-9][0-9]*$/.test(n)) fail(`N "${n}" is not a client count`);
  const m = /^([a-z0-9.]+)(<=|>=|<|>)([0-9]*\.?[0-9]+)([a-z]*)$/.exec(expr);
  if (!m) fail('not of the form metric<value');
  const [, name, op, value, unit] = m!;
  const metric = ALIASES[name!] ?? (THRESHOLD_METRICS as readonly string[]).find((x) => x === name);
  if (metric === undefined) fail(`unknown metric "${name}" (${THRESHOLD_METRICS.join(', ')}, or p50/p90/p99)`);
  let limit = Number(value);
  if (metric === 'errors') {
    if (unit) fail('errors is a count and takes no unit');
  } else {
    const scale = UNIT_MS[unit || 'ms'];
    if (scale === undefined) fail(`unknown unit "${unit}" (us, ms or s)`);
    limit *= scale!;
  }
  return Object.freeze({ text, design, workload, clients: n === null ? null : Number(n), metric: metric as ThresholdMetric, op: op as Op, limit });
}

/** A cell's value of a metric, in ms (or a count); null when the cell has none. */
function metricOf(cell: CellResult, metric: ThresholdMetric): number | null {
  const s = cell.summary;
  const us = (v: number | null) => (v === null || s.latencyUs.count === 0 ? null : v / 1000);
  switch (metric) {
    case 'total.median': return s.totalMs.median;
    case 'total.min': return s.totalMs.min;
    case 'total.max': return s.totalMs.max;
    case 'latency.p50': return us(s.latencyUs.p50);
    case 'latency.p90': return us(s.latencyUs.p90);
    case 'latency.p99': return us(s.latencyUs.p99);
    case 'latency.max': return us(s.latencyUs.max);
    case 'errors': return s.errors;
  }
}

function holds(value: number, op: Op, limit: number): boolean {
  return op === '<' ? value < limit : op === '<=' ? value <= limit : op === '>' ? value > limit : value >= limit;
}

/** One failed threshold, with the first cell that broke it, in words. */
export interface ThresholdFailure {
  readonly threshold: Threshold;
  readonly reason: string;
}

/** Checks every threshold against the sweep's cells; returns the failures, in the order given. */
export function checkThresholds(results: Pick<SweepResults, 'cells'>, thresholds: readonly Threshold[]): ThresholdFailure[] {
  const failures: ThresholdFailure[] = [];
  for (const t of thresholds) {
    const cells = results.cells.filter((c) => (t.design === null || c.design === t.design) && (t.workload === null || c.workload === t.workload) && (t.clients === null || c.clients === t.clients));
    if (cells.length === 0) {
      failures.push({ threshold: t, reason: `${t.text}: selects no cell of this sweep` });
      continue;
    }
    for (const c of cells) {
      const v = metricOf(c, t.metric);
      const where = `${c.design}:${c.workload}:${c.clients}`;
      if (v === null) {
        failures.push({ threshold: t, reason: `${t.text}: ${where} has no ${t.metric} (no run finished without errors)` });
        break;
      }
      if (!holds(v, t.op, t.limit)) {
        const shown = t.metric === 'errors' ? String(v) : `${Math.round(v * 1000) / 1000} ms`;
        failures.push({ threshold: t, reason: `${t.text}: ${where} ${t.metric} is ${shown}` });
        break;
      }
    }
  }
  return failures;
}
