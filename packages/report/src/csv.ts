import type { HistogramRecord, RunResult } from '@socketlab/results';
import type { Dataset } from './load.ts';

/**
 * The per-run table as CSV (RFC 4180): a header row, then one row per run of every input, in the
 * report's order (workload, design, N; then input, then run). Every column is a field of the run in the
 * results document (docs/results-format.md, `cells[].runs[]`), flattened, with its unit in its name as
 * there; `input`, `workload`, `design` and `clients` say which cell the run belongs to. An empty field
 * is "not measured" (null or absent in the document), never zero.
 *
 * Quoting: a field holding a comma, a double quote, CR or LF is enclosed in double quotes, with each
 * double quote doubled; records end with CRLF. A text field that starts with `=`, `+`, `-`, `@`, TAB or
 * CR gets a single quote in front (OWASP's rule against CSV injection), so that a spreadsheet shows it
 * as text and never runs it as a formula: a results file is untrusted. Numbers are written as numbers.
 */

/** File name of the table in the report folder. */
export const RUNS_CSV_NAME = 'runs.csv';

type Cell = string | number | boolean | null | undefined;

export interface RunRow {
  readonly input: string;
  readonly workload: string;
  readonly design: string;
  readonly clients: number;
  readonly run: RunResult;
}

/** A column: its name, the field of `cells[].runs[]` it comes from (a dotted path; null for the cell's own fields), and how to read it. */
export interface RunsCsvColumn {
  readonly name: string;
  readonly from: string | null;
  readonly value: (r: RunRow) => Cell;
}

const col = (name: string, from: string | null, value: (r: RunRow) => Cell): RunsCsvColumn => Object.freeze({ name, from, value });

/** A histogram's summary columns (`<prefix>Count`, `<prefix>MinUs`, … `<prefix>MaxUs`) from the histogram at `path`. */
const SUMMARY = [['Count', 'count'], ['MinUs', 'min'], ['MeanUs', 'mean'], ['P50Us', 'p50'], ['P90Us', 'p90'], ['P99Us', 'p99'], ['MaxUs', 'max']] as const;
const histogramCols = (prefix: string, path: string, get: (r: RunRow) => HistogramRecord | undefined): RunsCsvColumn[] =>
  SUMMARY.map(([suffix, key]) => col(`${prefix}${suffix}`, `${path}.${key}`, (r) => get(r)?.[key]));

/** A histogram's fields no column holds: its encoding and settings stay in the JSON. */
const histogramLeftOut = (path: string): Record<string, string> => ({
  [`${path}.encoding`]: 'the histogram itself: percentiles are columns, the histogram stays in the JSON',
  [`${path}.unit`]: 'always us (the column names say µs)',
  [`${path}.lowestDiscernibleValue`]: 'the histogram\'s settings',
  [`${path}.highestTrackableValue`]: 'the histogram\'s settings',
  [`${path}.significantDigits`]: 'the histogram\'s settings',
  [`${path}.encoded`]: 'the histogram itself',
});

/** The columns, in order. docs/results-format.md ("CSV export") lists them. */
export const RUNS_CSV_COLUMNS: readonly RunsCsvColumn[] = Object.freeze([
  col('input', null, (r) => r.input),
  col('workload', null, (r) => r.workload),
  col('design', null, (r) => r.design),
  col('clients', null, (r) => r.clients),
  col('run', 'index', (r) => r.run.index),
  col('startedAt', 'startedAt', (r) => r.run.startedAt),
  col('releaseAt', 'releaseAt', (r) => r.run.releaseAt),
  col('complete', 'complete', (r) => r.run.complete),
  col('totalMs', 'totalMs', (r) => r.run.totalMs),
  col('wallMs', 'wallMs', (r) => r.run.wallMs),
  col('clientsCompleted', 'clients.completed', (r) => r.run.clients.completed),
  col('clientsFailed', 'clients.failed', (r) => r.run.clients.failed),
  col('tasksExpected', 'tasks.expected', (r) => r.run.tasks.expected),
  col('tasksSent', 'tasks.sent', (r) => r.run.tasks.sent),
  col('tasksOk', 'tasks.ok', (r) => r.run.tasks.ok),
  ...histogramCols('latency', 'tasks.latencyUs', (r) => r.run.tasks.latencyUs),
  col('errorsTotal', 'errors.total', (r) => r.run.errors.total),
  col('errorsRefused', 'errors.refused', (r) => r.run.errors.refused),
  col('errorsReset', 'errors.reset', (r) => r.run.errors.reset),
  col('errorsClosed', 'errors.closed', (r) => r.run.errors.closed),
  col('errorsTimeout', 'errors.timeout', (r) => r.run.errors.timeout),
  col('errorsWrongResult', 'errors.wrongResult', (r) => r.run.errors.wrongResult),
  col('errorsOther', 'errors.other', (r) => r.run.errors.other),
  // `ERR <CODE>` replies by code, as CODE=count;CODE=count (codes sorted): one column whatever the codes.
  col('errorsProtocol', 'errors.protocol', (r) => Object.entries(r.run.errors.protocol).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([c, n]) => `${c}=${n}`).join(';')),
  col('firstError', 'errorSamples', (r) => r.run.errorSamples[0]),
  col('serverCpuUserMs', 'server.cpuUserMs', (r) => r.run.server?.cpuUserMs),
  col('serverCpuSystemMs', 'server.cpuSystemMs', (r) => r.run.server?.cpuSystemMs),
  col('serverCpuMs', 'server.cpuTotalMs', (r) => r.run.server?.cpuTotalMs),
  col('serverPeakRssBytes', 'server.peakRssBytes', (r) => r.run.server?.peakRssBytes),
  col('serverPeakProcesses', 'server.peakProcesses', (r) => r.run.server?.peakProcesses),
  col('serverPeakThreads', 'server.peakThreads', (r) => r.run.server?.peakThreads),
  col('serverSamples', 'server.samples', (r) => r.run.server?.samples),
  col('loadgenClientMode', 'loadgen.clientMode', (r) => r.run.loadgen.clientMode),
  col('loadgenProcesses', 'loadgen.processes', (r) => r.run.loadgen.processes),
  col('loadgenUsableCores', 'loadgen.usableCores', (r) => r.run.loadgen.usableCores),
  col('loadgenCpuUserMs', 'loadgen.cpuUserMs', (r) => r.run.loadgen.cpuUserMs),
  col('loadgenCpuSystemMs', 'loadgen.cpuSystemMs', (r) => r.run.loadgen.cpuSystemMs),
  col('loadgenCpuMs', 'loadgen.cpuTotalMs', (r) => r.run.loadgen.cpuTotalMs),
  col('loadgenParentCpuMs', 'loadgen.parentCpuMs', (r) => r.run.loadgen.parentCpuMs),
  col('loadgenUtilization', 'loadgen.utilization', (r) => r.run.loadgen.utilization),
  col('loadgenMaxProcessUtilization', 'loadgen.maxProcessUtilization', (r) => r.run.loadgen.maxProcessUtilization),
  col('saturated', 'loadgen.saturated', (r) => r.run.loadgen.saturated),
  col('noisy', 'noise.noisy', (r) => r.run.noise?.noisy),
  col('foreignCpuShare', 'noise.foreignCpuShare', (r) => r.run.noise?.foreignCpuShare),
  col('foreignCpuMs', 'noise.foreignCpuMs', (r) => r.run.noise?.foreignCpuMs),
  col('noiseWindowMs', 'noise.windowMs', (r) => r.run.noise?.windowMs),
  col('noiseAttempts', 'noise.attempts', (r) => r.run.noise?.attempts),
  col('quietWaitMs', 'noise.quietWaitMs', (r) => r.run.noise?.quietWaitMs),
  col('quiet', 'noise.quiet', (r) => r.run.noise?.quiet),
  col('loadAverageStart1', 'noise.loadAverageStart', (r) => r.run.noise?.loadAverageStart[0]),
  col('loadAverageStart5', 'noise.loadAverageStart', (r) => r.run.noise?.loadAverageStart[1]),
  col('loadAverageStart15', 'noise.loadAverageStart', (r) => r.run.noise?.loadAverageStart[2]),
  col('loadAverageEnd1', 'noise.loadAverageEnd', (r) => r.run.noise?.loadAverageEnd[0]),
  col('loadAverageEnd5', 'noise.loadAverageEnd', (r) => r.run.noise?.loadAverageEnd[1]),
  col('loadAverageEnd15', 'noise.loadAverageEnd', (r) => r.run.noise?.loadAverageEnd[2]),
  // Added with schemaVersion 2 (appended, so that the columns above keep their places).
  col('connectPhaseMs', 'connectPhaseMs', (r) => r.run.connectPhaseMs),
  col('loadgenMaxClientUtilization', 'loadgen.maxClientUtilization', (r) => r.run.loadgen.maxClientUtilization),
  col('loadgenEventLoopDelayP99Ms', 'loadgen.eventLoopDelayP99Ms', (r) => r.run.loadgen.eventLoopDelayP99Ms),
  col('loadgenEventLoopDelayMaxMs', 'loadgen.eventLoopDelayMaxMs', (r) => r.run.loadgen.eventLoopDelayMaxMs),
  col('loadgenSourceAddresses', 'loadgen.sourceAddresses', (r) => r.run.loadgen.sourceAddresses?.join(';')),
  col('openTargetRate', 'open.targetRate', (r) => r.run.open?.targetRate),
  col('openOfferedRate', 'open.offeredRate', (r) => r.run.open?.offeredRate),
  col('openThroughputPerSec', 'open.throughputPerSec', (r) => r.run.open?.throughputPerSec),
  col('openWindowMs', 'open.windowMs', (r) => r.run.open?.windowMs),
  col('openProcesses', 'open.processes', (r) => r.run.open?.processes),
  col('openArrivals', 'open.arrivals', (r) => r.run.open?.arrivals),
  col('openSent', 'open.sent', (r) => r.run.open?.sent),
  col('openSentLate', 'open.sentLate', (r) => r.run.open?.sentLate),
  col('openDropped', 'open.dropped', (r) => r.run.open?.dropped),
  col('openUnsent', 'open.unsent', (r) => r.run.open?.unsent),
  col('openReplies', 'open.replies', (r) => r.run.open?.replies),
  col('openCompleted', 'open.completed', (r) => r.run.open?.completed),
  col('openErrorReplies', 'open.errorReplies', (r) => r.run.open?.errorReplies),
  col('openWrongValues', 'open.wrongValues', (r) => r.run.open?.wrongValues),
  col('openTimeouts', 'open.timeouts', (r) => r.run.open?.timeouts),
  col('openLost', 'open.lost', (r) => r.run.open?.lost),
  col('openPeakQueued', 'open.peakQueued', (r) => r.run.open?.peakQueued),
  ...histogramCols('openService', 'open.serviceUs', (r) => r.run.open?.serviceUs),
  ...histogramCols('openPacingLag', 'open.pacingLagUs', (r) => r.run.open?.pacingLagUs),
  col('openMeanInSystem', 'open.meanInSystem', (r) => r.run.open?.meanInSystem),
  col('openSaturated', 'open.saturated', (r) => r.run.open?.saturated),
  col('openGeneratorLimited', 'open.generatorLimited', (r) => r.run.open?.generatorLimited),
  col('childSharesAccept', 'childShares.accept', (r) => r.run.childShares?.accept),
  col('childSharesAccepted', 'childShares.accepted', (r) => r.run.childShares?.accepted.join(';')),
  col('childSharesCv', 'childShares.cv', (r) => r.run.childShares?.cv),
  col('childSharesMaxMinRatio', 'childShares.maxMinRatio', (r) => r.run.childShares?.maxMinRatio),
  col('syncAgreedReleaseAt', 'sync.agreedReleaseAt', (r) => r.run.sync?.agreedReleaseAt),
  col('syncReleaseErrorMs', 'sync.releaseErrorMs', (r) => r.run.sync?.releaseErrorMs),
  col('syncClockOffsetMs', 'sync.clockOffsetMs', (r) => r.run.sync?.clockOffsetMs),
  col('syncRttMs', 'sync.rttMs', (r) => r.run.sync?.rttMs),
  col('shardsStartSkewMs', 'shards.startSkewMs', (r) => r.run.shards?.startSkewMs),
  col('noiseCohostedShards', 'noise.cohostedShards', (r) => r.run.noise?.cohostedShards),
]);

/**
 * The fields of `cells[].runs[]` the table leaves out, and why (a test checks that every field of the
 * schema is either a column or here, so a field added to the schema cannot be forgotten silently).
 */
export const RUNS_CSV_LEFT_OUT: Readonly<Record<string, string>> = Object.freeze({
  serverInstance: 'an index into the cell\'s servers, meaningless in a flat table',
  'clients.count': 'the same as the clients column (N)',
  'clients.connectMs': 'one value per client, not per run',
  'clients.firstReplyMs': 'one value per client, not per run',
  'clients.completionMs': 'one value per client, not per run',
  ...histogramLeftOut('tasks.latencyUs'),
  'loadgen.processCpuMs': 'one value per loadgen process',
  'noise.attemptShares': 'one value per attempt; the kept attempt\'s share is foreignCpuShare',
  'clients.timeline.sentMs': 'per client and request, not per run',
  'clients.timeline.replyMs': 'per client and request, not per run',
  'clients.timeline.closeMs': 'one value per client, not per run',
  'open.seeds': 'one value per loadgen process',
  ...histogramLeftOut('open.serviceUs'),
  ...histogramLeftOut('open.pacingLagUs'),
  'shards.parts': 'one entry per shard (its own loadgen CPU, clients and start); startSkewMs is the column',
});

/** One CSV field: a text field neutralised (see the module comment), then quoted when it holds a comma, a double quote, CR or LF (RFC 4180 §2.6–2.7). */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The per-run table of a dataset as CSV text (see the module comment). */
export function runsCsv(dataset: Dataset): string {
  const lines = [RUNS_CSV_COLUMNS.map((c) => csvField(c.name)).join(',')];
  for (const cell of dataset.cells) {
    for (const s of cell.runs) {
      const row: RunRow = { input: dataset.inputs[s.input]!.name, workload: cell.workload, design: cell.design, clients: cell.clients, run: s.run };
      lines.push(RUNS_CSV_COLUMNS.map((c) => csvField(c.value(row))).join(','));
    }
  }
  return lines.map((l) => `${l}\r\n`).join('');
}
