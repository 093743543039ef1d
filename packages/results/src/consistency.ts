import { ResultsInconsistentError } from './errors.ts';
import { HISTOGRAM_ENCODING, type ErrorCounts, type HistogramRecord, type RunResult } from './schema.ts';
import { HISTOGRAM_SETTINGS, decodeHistogram, type Histogram } from './histogram.ts';

/**
 * Checks that go beyond the schema: that a document's parts agree with each other. The schema says a
 * histogram is a string and a per-client array holds numbers; only these say the string decodes to the
 * histogram its summary describes and the array has one entry per client. Whatever combines documents
 * (loadgen's merge) runs them first, so that a corrupt, swapped or truncated part is refused with
 * ResultsInconsistentError naming it, instead of a stack trace or a silently wrong sum.
 */

/** The relative precision of the histograms (3 significant digits): a decoded value is within this of the recorded one. */
const PRECISION = 10 ** -HISTOGRAM_SETTINGS.numberOfSignificantValueDigits;

const near = (recorded: number | null, decoded: number): boolean => recorded !== null && Math.abs(recorded - decoded) <= decoded * PRECISION + 1;

/**
 * Decodes a histogram record and checks it against its own fields: the encoding and settings are the
 * format's, the encoded data decodes, and it holds `count` values from `min` to `max`; with `expected`,
 * `count` must also be that (the count of what the histogram measured, e.g. the run's OK tasks, so a
 * histogram swapped in from another run is caught). Returns the decoded histogram.
 */
export function checkedHistogram(record: HistogramRecord, where: string, expected?: number): Histogram {
  const s = HISTOGRAM_SETTINGS;
  if (record.encoding !== HISTOGRAM_ENCODING || record.unit !== 'us' || record.lowestDiscernibleValue !== s.lowestDiscernibleValue || record.highestTrackableValue !== s.highestTrackableValue || record.significantDigits !== s.numberOfSignificantValueDigits) {
    throw new ResultsInconsistentError(`${where}: the histogram's encoding or settings are not the format's (${HISTOGRAM_ENCODING}, µs, ${s.lowestDiscernibleValue} to ${s.highestTrackableValue}, ${s.numberOfSignificantValueDigits} digits)`);
  }
  let h: Histogram;
  try {
    h = decodeHistogram(record.encoded);
  } catch (err) {
    throw new ResultsInconsistentError(`${where}: the histogram does not decode (${String((err as Error)?.message ?? err).slice(0, 120)})`);
  }
  if (h.totalCount !== record.count) throw new ResultsInconsistentError(`${where}: the histogram holds ${h.totalCount} values but its count says ${record.count}: corrupt, or swapped with another`);
  if (h.totalCount > 0 && (!near(record.max, h.maxValue) || !near(record.min, h.minNonZeroValue))) {
    throw new ResultsInconsistentError(`${where}: the histogram's values run from ${h.minNonZeroValue} to ${h.maxValue} µs but its min and max say ${record.min} and ${record.max}: corrupt, or swapped with another`);
  }
  if (expected !== undefined && record.count !== expected) throw new ResultsInconsistentError(`${where}: the histogram counts ${record.count} values where the run has ${expected}: swapped with another`);
  return h;
}

/** Sums error counts field by field, `protocol` code by code. */
export function sumErrorCounts(all: readonly ErrorCounts[]): ErrorCounts {
  const out: ErrorCounts = { total: 0, refused: 0, reset: 0, closed: 0, timeout: 0, protocol: {}, wrongResult: 0, other: 0 };
  for (const e of all) {
    for (const k of ['total', 'refused', 'reset', 'closed', 'timeout', 'wrongResult', 'other'] as const) out[k] += e[k];
    for (const [code, n] of Object.entries(e.protocol)) out.protocol[code] = (out.protocol[code] ?? 0) + n;
  }
  return out;
}

/** Throws unless every entry is a finite number (or null where allowed) inside [min, max]. */
function checkValues(values: readonly unknown[], where: string, nullable: boolean, min = 0, max = Number.MAX_SAFE_INTEGER): void {
  const at = values.findIndex((v) => !(v === null ? nullable : typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max));
  if (at >= 0) throw new ResultsInconsistentError(`${where}[${at}] is ${JSON.stringify(values[at])?.slice(0, 40)}: not ${nullable ? 'null or ' : ''}a number from ${min} to ${max}`);
}

/**
 * Checks one run for consistency: its client counts add up, each per-client array (connect, first reply,
 * completion, the timeline's) has one entry per client with values in range, its task counts add up,
 * and its histograms decode to their summaries (the latency histogram counts the OK tasks; the open
 * model's service histogram its completed requests). `where` names the run in the message.
 */
export function checkRunConsistency(run: RunResult, where: string): void {
  const c = run.clients;
  if (c.completed + c.failed > c.count) throw new ResultsInconsistentError(`${where}: ${c.completed} clients completed and ${c.failed} failed, of ${c.count}`);
  const perClient = [['connectMs', c.connectMs], ['firstReplyMs', c.firstReplyMs], ['completionMs', c.completionMs]] as const;
  for (const [name, values] of perClient) {
    if (values.length !== c.count) throw new ResultsInconsistentError(`${where}: clients.${name} has ${values.length} entries for ${c.count} clients`);
    checkValues(values, `${where}: clients.${name}`, true);
  }
  if (c.timeline) {
    for (const name of ['sentMs', 'replyMs', 'closeMs'] as const) {
      const values = c.timeline[name];
      if (values.length !== c.count) throw new ResultsInconsistentError(`${where}: clients.timeline.${name} has ${values.length} entries for ${c.count} clients`);
      // Signed: loadgen records them from the release, and a reply may precede it.
      for (const [i, v] of values.entries()) checkValues(Array.isArray(v) ? v : [v], `${where}: clients.timeline.${name}[${i}]`, name === 'closeMs', -Number.MAX_SAFE_INTEGER);
    }
  }
  const t = run.tasks;
  if (t.ok > t.sent) throw new ResultsInconsistentError(`${where}: ${t.ok} tasks OK of ${t.sent} sent`);
  checkedHistogram(t.latencyUs, `${where}: tasks.latencyUs`, t.ok);
  if (run.open) {
    checkedHistogram(run.open.serviceUs, `${where}: open.serviceUs`, run.open.completed);
    checkedHistogram(run.open.pacingLagUs, `${where}: open.pacingLagUs`);
  }
}
