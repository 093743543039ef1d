import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  DESIGNS, ResultsInvalidError, isBuiltIn, validateResults,
  type CellResult, type DesignLabel, type RunResult, type ServerInstance, type SweepResults, type WorkloadDefinition,
} from '@socketlab/results';
import { ReportInputError, ReportInputTooLargeError, ReportMergeError } from './errors.ts';
import { inputCopyName } from './options.ts';

/** One input document, read and validated. */
export interface LoadedInput {
  /** Where it was read from (as given; absolute when it came from buildReport). */
  readonly path: string;
  /** Its name in the report folder and in the report: `sweep.json`, `sweep-2.json`, … (by position). */
  readonly name: string;
  /** The exact text read (what gets copied into the report folder). */
  readonly text: string;
  /** SHA-256 of `text`, hex. */
  readonly sha256: string;
  readonly results: SweepResults;
}

/** How many schema problems an error message lists before "(and N more)". */
const MAX_ISSUES_SHOWN = 5;

/**
 * Validates a parsed document against the results schema of @socketlab/results (schema.json), then checks
 * that every cell names a design and a workload its config defines. Throws ResultsInvalidError
 * (`SOCKETLAB_ERR_RESULTS_INVALID`) whose message starts with `source` and names the failing fields by
 * JSON Pointer, e.g. `small.json: /cells/0/runs/1/totalMs must be number or null`.
 */
export function checkResults(json: unknown, source: string): asserts json is SweepResults {
  const { ok, errors } = validateResults(json);
  if (!ok) {
    const shown = errors.slice(0, MAX_ISSUES_SHOWN).map((e) => `${e.path} ${e.message}`).join('; ');
    const more = errors.length > MAX_ISSUES_SHOWN ? ` (and ${errors.length - MAX_ISSUES_SHOWN} more)` : '';
    throw new ResultsInvalidError(`${source}: not a valid loadgen results document: ${shown}${more}`);
  }
  const doc = json as SweepResults;
  const workloads = new Set(doc.config.workloads.map((w) => w.name));
  const designs = new Set<string>(doc.config.designs);
  doc.cells.forEach((cell, i) => {
    if (!workloads.has(cell.workload)) {
      throw new ResultsInvalidError(`${source}: /cells/${i}/workload is ${JSON.stringify(cell.workload)}, which /config/workloads does not define`);
    }
    if (!designs.has(cell.design)) {
      throw new ResultsInvalidError(`${source}: /cells/${i}/design is ${JSON.stringify(cell.design)}, which /config/designs does not list`);
    }
  });
}

/** Parses and validates one document's text. `source` names it in error messages. */
export function parseResults(text: string, source: string): SweepResults {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ReportInputError(`${source}: not JSON (${(err as Error).message})`);
  }
  checkResults(json, source);
  return json;
}

/**
 * The most a gzip-compressed input may inflate to, bytes. A `.json.gz` is untrusted: a few KiB can
 * inflate to gigabytes, so it is inflated with this cap and refused beyond it. 512 MiB is ~40 × the
 * largest sweep shipped (12 MB with every per-client timeline).
 */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** Whether a path names a gzip-compressed input (`.gz`): read it inflated. */
export function isGzipPath(path: string): boolean {
  return path.endsWith('.gz');
}

/** Inflates a `.gz` input with the cap; ReportInputTooLargeError past it, ReportInputError if it is not gzip. */
export function gunzipInput(bytes: Buffer, source: string, maxBytes = MAX_INPUT_BYTES): string {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ReportInputTooLargeError(`${source}: inflates to more than ${maxBytes} bytes; refused (a results file that large is not a sweep)`);
    }
    throw new ReportInputError(`${source}: not gzip-compressed JSON (${e.code === undefined ? e.message : `${e.code}: ${e.message}`})`);
  }
}

/** Reads, parses and validates input number `index` (which fixes its name, see inputCopyName); `.gz` inputs are inflated. */
export function readInput(path: string, index: number, source = path): LoadedInput {
  let text: string;
  try {
    text = isGzipPath(path) ? gunzipInput(readFileSync(path), source) : readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ReportInputError || err instanceof ReportInputTooLargeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    throw new ReportInputError(`${source}: cannot read the loadgen results (${why})`);
  }
  const results = parseResults(text, source);
  return Object.freeze({ path, name: inputCopyName(index), text, sha256: createHash('sha256').update(text).digest('hex'), results });
}

/** An in-memory document as an input (for the API and tests): its text is the document's JSON. */
export function inputFromResults(results: SweepResults, index = 0): LoadedInput {
  const text = JSON.stringify(results, null, 2) + '\n';
  const name = inputCopyName(index);
  checkResults(JSON.parse(text), name);
  return Object.freeze({ path: name, name, text, sha256: createHash('sha256').update(text).digest('hex'), results });
}

/** A run with where it came from. */
export interface SourcedRun {
  /** Position of the input document in the report's inputs. */
  readonly input: number;
  /** The cell's `complete` flag in that document. */
  readonly cellComplete: boolean;
  readonly run: RunResult;
}

/**
 * One order for every report and every list of designs: the design catalogue's (DESIGNS in
 * @socketlab/results), then `external`, whatever order a sweep ran them in. A sort comparator.
 */
export function byDesignOrder(a: DesignLabel, b: DesignLabel): number {
  // The design catalogue's order, then `external`, then users' servers (in the order the sweeps named
  // them: Array.prototype.sort is stable).
  const rank = (d: DesignLabel) => (isBuiltIn(d) ? DESIGNS.indexOf(d) : d === 'external' ? DESIGNS.length : DESIGNS.length + 1);
  return rank(a) - rank(b);
}

/** One design × workload × N cell, pooled over every input that has it. */
export interface DataCell {
  readonly workload: string;
  readonly design: DesignLabel;
  readonly clients: number;
  /** Every run, complete or not, in input order then run order. */
  readonly runs: readonly SourcedRun[];
  readonly servers: readonly ServerInstance[];
  /** True when every input's copy of the cell says `complete`. */
  readonly complete: boolean;
}

/** (open model) One design × workload × rate cell, pooled over every input that has it. */
export interface OpenDataCell {
  readonly workload: string;
  readonly design: DesignLabel;
  /** Target rate, requests/s. */
  readonly rate: number;
  /** The percentage of the probed capacity the rate came from, if it did (first input that says). */
  readonly ratePercent: number | null;
  /** Connections that carried the load. */
  readonly connections: number;
  readonly runs: readonly SourcedRun[];
  readonly complete: boolean;
}

/** Every input combined: the axes of the report and its cells. */
export interface Dataset {
  readonly inputs: readonly LoadedInput[];
  /** Workloads in first-seen order. */
  readonly workloads: readonly WorkloadDefinition[];
  /** Designs in first-seen order. */
  readonly designs: readonly DesignLabel[];
  /** Client counts N, ascending. */
  readonly clients: readonly number[];
  readonly tasksPerClient: number;
  /** Cores of the (first) sweep's machine. */
  readonly cores: number;
  /** poolSize of the (first) sweep. */
  readonly poolSize: number;
  /** Cells in workload, design, N order: the closed model's only. */
  readonly cells: readonly DataCell[];
  /** The open model's cells (v2 `cells[].model` "open"), in workload, design, rate order. */
  readonly openCells: readonly OpenDataCell[];
  /** Differences between the inputs that do not prevent combining them, in words. */
  readonly notes: readonly string[];
}

function cellKey(workload: string, design: string, clients: number): string {
  return `${workload}\u0000${design}\u0000${clients}`;
}

/**
 * Combines the inputs. Throws ReportMergeError when they cannot describe the same experiment: the same
 * workload name with other tasks or another cost model, or another tasksPerClient.
 */
export function combineInputs(inputs: readonly LoadedInput[]): Dataset {
  if (inputs.length === 0) throw new ReportInputError('no input documents');
  const first = inputs[0]!.results;
  const firstClosed = inputs.find((x) => x.results.config.model !== 'open') ?? inputs[0]!;
  const workloads: WorkloadDefinition[] = [];
  const designs: DesignLabel[] = [];
  const clients = new Set<number>();
  const notes: string[] = [];
  const cells = new Map<string, { workload: string; design: DesignLabel; clients: number; runs: SourcedRun[]; servers: ServerInstance[]; complete: boolean }>();
  const openCells = new Map<string, { workload: string; design: DesignLabel; rate: number; ratePercent: number | null; connections: number; runs: SourcedRun[]; complete: boolean }>();
  inputs.forEach((input, i) => {
    const r = input.results;
    if (i > 0) {
      // The open model does not use tasksPerClient (its value there is the preset's, unused).
      const closedPair = r.config.model !== 'open' && firstClosed.results.config.model !== 'open' && input !== firstClosed;
      if (closedPair && r.config.tasksPerClient !== firstClosed.results.config.tasksPerClient) {
        throw new ReportMergeError(`${input.name} has tasksPerClient ${r.config.tasksPerClient} but ${firstClosed.name} has ${firstClosed.results.config.tasksPerClient}; only sweeps with the same tasks per client can share a report`);
      }
      if (r.environment.cores !== first.environment.cores || r.environment.cpuModel !== first.environment.cpuModel) {
        notes.push(`${input.name} ran on another machine (${r.environment.cores} cores, ${r.environment.cpuModel}) than ${inputs[0]!.name} (${first.environment.cores} cores, ${first.environment.cpuModel}); the cost model uses the latter.`);
      }
      if (r.config.poolSize !== first.config.poolSize) {
        notes.push(`${input.name} used poolSize ${r.config.poolSize}, ${inputs[0]!.name} ${first.config.poolSize}; the cost model uses the latter.`);
      }
    }
    for (const w of r.config.workloads) {
      const known = workloads.find((k) => k.name === w.name);
      if (!known) workloads.push(w);
      else if (JSON.stringify(known.tasks) !== JSON.stringify(w.tasks) || known.costModel !== w.costModel) {
        throw new ReportMergeError(
          `workload "${w.name}" differs between the inputs: ${inputs.find((x) => x.results.config.workloads.includes(known))?.name ?? inputs[0]!.name} sends ${known.tasks.join(', ')}, ${input.name} sends ${w.tasks.join(', ')}; only sweeps with the same task definitions (timeScale) can share a report`,
        );
      }
    }
    for (const d of r.config.designs) if (!designs.includes(d)) designs.push(d);
    // An open sweep's clients is its connection count, not an N of the closed model's axis.
    if (r.config.model !== 'open') for (const n of r.config.clients) clients.add(n);
    r.cells.forEach((c: CellResult) => {
      if (c.model === 'open') {
        const rate = c.open?.rate ?? 0;
        const key = cellKey(c.workload, c.design, rate);
        let cell = openCells.get(key);
        if (!cell) {
          cell = { workload: c.workload, design: c.design, rate, ratePercent: c.open?.ratePercent ?? null, connections: c.clients, runs: [], complete: true };
          openCells.set(key, cell);
        }
        for (const run of c.runs) cell.runs.push({ input: i, cellComplete: c.complete, run });
        cell.complete &&= c.complete;
        return;
      }
      clients.add(c.clients);
      const key = cellKey(c.workload, c.design, c.clients);
      let cell = cells.get(key);
      if (!cell) {
        cell = { workload: c.workload, design: c.design, clients: c.clients, runs: [], servers: [], complete: true };
        cells.set(key, cell);
      }
      for (const run of c.runs) cell.runs.push({ input: i, cellComplete: c.complete, run });
      cell.servers.push(...c.servers);
      cell.complete &&= c.complete;
    });
  });
  const sortedClients = [...clients].sort((a, b) => a - b);
  designs.sort(byDesignOrder);
  const ordered: DataCell[] = [];
  for (const w of workloads) {
    for (const d of designs) {
      for (const n of sortedClients) {
        const cell = cells.get(cellKey(w.name, d, n));
        if (cell) ordered.push(Object.freeze({ ...cell, runs: Object.freeze(cell.runs), servers: Object.freeze(cell.servers) }));
      }
    }
  }
  const orderedOpen = [...openCells.values()]
    .sort((a, b) => workloads.findIndex((w) => w.name === a.workload) - workloads.findIndex((w) => w.name === b.workload) || byDesignOrder(a.design, b.design) || a.rate - b.rate)
    .map((c) => Object.freeze({ ...c, runs: Object.freeze(c.runs) }));
  return Object.freeze({
    inputs: Object.freeze([...inputs]),
    workloads: Object.freeze(workloads),
    designs: Object.freeze(designs),
    clients: Object.freeze(sortedClients),
    tasksPerClient: firstClosed.results.config.tasksPerClient,
    cores: first.environment.cores,
    poolSize: first.config.poolSize,
    cells: Object.freeze(ordered),
    openCells: Object.freeze(orderedOpen),
    notes: Object.freeze(notes),
  });
}
