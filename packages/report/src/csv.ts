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

interface RunRow {
  readonly input: string;
  readonly workload: string;
  readonly design: string;
  readonly clients: number;
  readonly run: RunResult;
}

/** The columns, in order: name and how to read it from a run. docs/results-format.md ("CSV export") lists them. */
export const RUNS_CSV_COLUMNS: readonly { readonly name: string; readonly value: (r: RunRow) => Cell }[] = Object.freeze([
  { name: 'input', value: (r) => r.input },
  { name: 'workload', value: (r) => r.workload },
  { name: 'design', value: (r) => r.design },
  { name: 'clients', value: (r) => r.clients },
  { name: 'run', value: (r) => r.run.index },
  { name: 'startedAt', value: (r) => r.run.startedAt },
  { name: 'complete', value: (r) => r.run.complete },
  { name: 'totalMs', value: (r) => r.run.totalMs },
  { name: 'wallMs', value: (r) => r.run.wallMs },
  { name: 'clientsCompleted', value: (r) => r.run.clients.completed },
  { name: 'clientsFailed', value: (r) => r.run.clients.failed },
  { name: 'tasksExpected', value: (r) => r.run.tasks.expected },
  { name: 'tasksSent', value: (r) => r.run.tasks.sent },
  { name: 'tasksOk', value: (r) => r.run.tasks.ok },
  { name: 'latencyCount', value: (r) => r.run.tasks.latencyUs.count },
  { name: 'latencyMinUs', value: (r) => r.run.tasks.latencyUs.min },
  { name: 'latencyMeanUs', value: (r) => r.run.tasks.latencyUs.mean },
  { name: 'latencyP50Us', value: (r) => r.run.tasks.latencyUs.p50 },
  { name: 'latencyP90Us', value: (r) => r.run.tasks.latencyUs.p90 },
  { name: 'latencyP99Us', value: (r) => r.run.tasks.latencyUs.p99 },
  { name: 'latencyMaxUs', value: (r) => r.run.tasks.latencyUs.max },
  { name: 'errorsTotal', value: (r) => r.run.errors.total },
  { name: 'errorsRefused', value: (r) => r.run.errors.refused },
  { name: 'errorsReset', value: (r) => r.run.errors.reset },
  { name: 'errorsClosed', value: (r) => r.run.errors.closed },
  { name: 'errorsTimeout', value: (r) => r.run.errors.timeout },
  { name: 'errorsWrongResult', value: (r) => r.run.errors.wrongResult },
  { name: 'errorsOther', value: (r) => r.run.errors.other },
  // `ERR <CODE>` replies by code, as CODE=count;CODE=count (codes sorted): one column whatever the codes.
  { name: 'errorsProtocol', value: (r) => Object.entries(r.run.errors.protocol).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([c, n]) => `${c}=${n}`).join(';') },
  { name: 'firstError', value: (r) => r.run.errorSamples[0] },
  { name: 'serverCpuUserMs', value: (r) => r.run.server?.cpuUserMs },
  { name: 'serverCpuSystemMs', value: (r) => r.run.server?.cpuSystemMs },
  { name: 'serverCpuMs', value: (r) => r.run.server?.cpuTotalMs },
  { name: 'serverPeakRssBytes', value: (r) => r.run.server?.peakRssBytes },
  { name: 'serverPeakProcesses', value: (r) => r.run.server?.peakProcesses },
  { name: 'serverPeakThreads', value: (r) => r.run.server?.peakThreads },
  { name: 'loadgenClientMode', value: (r) => r.run.loadgen.clientMode },
  { name: 'loadgenProcesses', value: (r) => r.run.loadgen.processes },
  { name: 'loadgenCpuMs', value: (r) => r.run.loadgen.cpuTotalMs },
  { name: 'loadgenUtilization', value: (r) => r.run.loadgen.utilization },
  { name: 'loadgenMaxProcessUtilization', value: (r) => r.run.loadgen.maxProcessUtilization },
  { name: 'saturated', value: (r) => r.run.loadgen.saturated },
  { name: 'noisy', value: (r) => r.run.noise?.noisy },
  { name: 'foreignCpuShare', value: (r) => r.run.noise?.foreignCpuShare },
  { name: 'foreignCpuMs', value: (r) => r.run.noise?.foreignCpuMs },
  { name: 'noiseWindowMs', value: (r) => r.run.noise?.windowMs },
  { name: 'noiseAttempts', value: (r) => r.run.noise?.attempts },
  { name: 'quietWaitMs', value: (r) => r.run.noise?.quietWaitMs },
  { name: 'quiet', value: (r) => r.run.noise?.quiet },
  { name: 'loadAverageStart1', value: (r) => r.run.noise?.loadAverageStart[0] },
  { name: 'loadAverageStart5', value: (r) => r.run.noise?.loadAverageStart[1] },
  { name: 'loadAverageStart15', value: (r) => r.run.noise?.loadAverageStart[2] },
  { name: 'loadAverageEnd1', value: (r) => r.run.noise?.loadAverageEnd[0] },
  { name: 'loadAverageEnd5', value: (r) => r.run.noise?.loadAverageEnd[1] },
  { name: 'loadAverageEnd15', value: (r) => r.run.noise?.loadAverageEnd[2] },
]);

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
