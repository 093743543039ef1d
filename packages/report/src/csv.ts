import type { RunResult } from '@socketlab/results';
import type { Dataset } from './load.ts';

/**
 * The per-run table as CSV (RFC 4180): a header row, then one row per run of every input, in the
 * report's order (workload, design, N; then input, then run). Every column is a field of the run in the
 * results document (docs/results-format.md, `cells[].runs[]`), flattened, with its unit in its name as
 * there; `input`, `workload`, `design` and `clients` say which cell the run belongs to. An empty field
 * is "not measured" (null or absent in the document), never zero.
 *
 * Quoting: a field holding a comma, a double quote, CR or LF is enclosed in double quotes, with each
 * double quote doubled; records end with CRLF.
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
  col('latencyCount', 'tasks.latencyUs.count', (r) => r.run.tasks.latencyUs.count),
  col('latencyMinUs', 'tasks.latencyUs.min', (r) => r.run.tasks.latencyUs.min),
  col('latencyMeanUs', 'tasks.latencyUs.mean', (r) => r.run.tasks.latencyUs.mean),
  col('latencyP50Us', 'tasks.latencyUs.p50', (r) => r.run.tasks.latencyUs.p50),
  col('latencyP90Us', 'tasks.latencyUs.p90', (r) => r.run.tasks.latencyUs.p90),
  col('latencyP99Us', 'tasks.latencyUs.p99', (r) => r.run.tasks.latencyUs.p99),
  col('latencyMaxUs', 'tasks.latencyUs.max', (r) => r.run.tasks.latencyUs.max),
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
  'tasks.latencyUs.encoding': 'the histogram itself: percentiles are columns, the histogram stays in the JSON',
  'tasks.latencyUs.unit': 'always us (the column names say µs)',
  'tasks.latencyUs.lowestDiscernibleValue': 'the histogram\'s settings',
  'tasks.latencyUs.highestTrackableValue': 'the histogram\'s settings',
  'tasks.latencyUs.significantDigits': 'the histogram\'s settings',
  'tasks.latencyUs.encoded': 'the histogram itself',
  'loadgen.processCpuMs': 'one value per loadgen process',
  'noise.attemptShares': 'one value per attempt; the kept attempt\'s share is foreignCpuShare',
});

/** One CSV field: quoted when it holds a comma, a double quote, CR or LF (RFC 4180 §2.6–2.7). */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : String(value);
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
