import { median, type DesignName } from '@socketlab/results';

/**
 * The lesson's own published numbers, shipped as data so that a report of a sweep with the lesson's
 * parameters can put socketlab's medians beside them.
 *
 * Source: the lesson's write-up, "CS331 Tutorial1 — Server-Client Socket Programming", Part2, section
 * "Results" (the seed text socketlab was built from). Each client sent one 3-second task (SLEEP 3000 at
 * socketlab's timeScale 1) and EXIT; N = 10, 20, …, 100 client processes were started at once by
 * `start.sh`, and the figure is the time until the last client finished, in seconds.
 *
 * - Single-Process Server: one value per N, printed as `10  -> 30.107380s` (lines 117–128 of the text).
 * - Multi-Process and Multi-Threaded Servers: three runs per N, one row per run (`Run1 -> …`, one column
 *   per N; lines 132–136 and 140–144). The text says it "took the median as the final reporting value"
 *   (line 106) but prints only the runs, so the medians below are computed from them, by the same median
 *   the report uses. (The multi-process block labels its third row `Run2` a second time; it is the third run.)
 *
 * Copied digit for digit; no value is rounded or estimated.
 */
/** The names the lesson preset gives the Python re-creations of the lesson's servers (loadgen's --server). */
export type LessonPythonName = 'lesson-single' | 'lesson-mp' | 'lesson-mt';

export const LESSON_SOURCE = "the lesson's write-up (CS331 Tutorial1, Part2, \"Results\")";

/** The N the lesson swept, in the order of its columns. */
export const LESSON_CLIENTS: readonly number[] = Object.freeze([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);

/** The lesson's three servers, in its order. */
export type LessonDesign = 'single-process' | 'multi-process' | 'multi-threaded';

export interface LessonSeries {
  readonly design: LessonDesign;
  /** The lesson's heading for it. */
  readonly heading: string;
  /** Where the numbers are in the lesson's text. */
  readonly lines: string;
  /** What the lesson printed: one row of seconds per run, one column per N of LESSON_CLIENTS. */
  readonly runsS: readonly (readonly number[])[];
  /**
   * The designs that rebuild this server: socketlab's (the recycled variant is the same design with
   * its processes or threads started ahead and kept between clients) and the lesson preset's Python re-creation (examples/lesson-python), by its name.
   */
  readonly designs: readonly (DesignName | LessonPythonName)[];
  /** Serial (one client after another: the ideal total is N task times) or concurrent (one task time). */
  readonly serial: boolean;
}

export const LESSON_SERIES: readonly LessonSeries[] = Object.freeze([
  {
    design: 'single-process',
    heading: 'Single-Process Server',
    lines: 'lines 117–128',
    // One value per N: the lesson printed a single figure for the iterative server (N × 3 s dominates it).
    runsS: [[30.10738, 60.168934, 90.212209, 120.242131, 150.286684, 180.355433, 210.392723, 240.437711, 270.443304, 300.446261]],
    designs: ['single-iterative', 'lesson-single'],
    serial: true,
  },
  {
    design: 'multi-process',
    heading: 'Multi-Process Server',
    lines: 'lines 132–136',
    runsS: [
      [3.165042, 3.265307, 3.36616, 3.463547, 3.593423, 3.704624, 3.814901, 3.920916, 4.030464, 4.150824],
      [3.158274, 3.262588, 3.371035, 3.498016, 3.613633, 3.741437, 3.857643, 3.965433, 4.075619, 4.166602],
      [3.164919, 3.261594, 3.369247, 3.484277, 3.594287, 3.727424, 3.841962, 3.958121, 4.079759, 4.203419],
    ],
    designs: ['mp-per-connection', 'mp-per-connection-recycled', 'lesson-mp'],
    serial: false,
  },
  {
    design: 'multi-threaded',
    heading: 'Multi-Threaded Server',
    lines: 'lines 140–144',
    runsS: [
      [3.079222, 3.131812, 3.173668, 3.209009, 3.273532, 3.309823, 3.373803, 3.407952, 3.460488, 3.498707],
      [3.091435, 3.140113, 3.184711, 3.220513, 3.26454, 3.312111, 3.370179, 3.416331, 3.47095, 3.524193],
      [3.077185, 3.125844, 3.179028, 3.221829, 3.275605, 3.319528, 3.365879, 3.421557, 3.469652, 3.502062],
    ],
    designs: ['mt-per-connection', 'mt-per-connection-recycled', 'lesson-mt'],
    serial: false,
  },
].map((s) => Object.freeze({ ...s, runsS: Object.freeze(s.runsS.map((r) => Object.freeze(r))), designs: Object.freeze(s.designs) })) as LessonSeries[]);

/** The lesson's task: what a sweep must send, one per client, for its numbers to be comparable. */
export const LESSON_TASK = 'SLEEP 3000';
/** Its time, ms. */
export const LESSON_TASK_MS = 3000;

/**
 * The ideal total of a series at N with tasks of `taskMs`: N task times for the serial server, one for
 * the concurrent ones. What a total has beyond it is overhead (connecting, starting a process or
 * thread, the clients' own start), which does not scale with the task time.
 */
export function idealTotalMs(series: LessonSeries, clients: number, taskMs: number): number {
  return series.serial ? clients * taskMs : taskMs;
}

/** The lesson's median total time at N for a series, ms; null for an N it did not measure. */
export function lessonMedianMs(series: LessonSeries, clients: number): number | null {
  const i = LESSON_CLIENTS.indexOf(clients);
  if (i === -1) return null;
  // The lesson printed µs (6 decimals of a second): round there, so 30.10738 s is 30107.38 ms exactly.
  return median(series.runsS.map((run) => Math.round(run[i]! * 1e6) / 1e3));
}

/** The lesson series a socketlab design is compared with; null for designs the lesson did not have. */
export function lessonSeriesFor(design: string): LessonSeries | null {
  return LESSON_SERIES.find((s) => (s.designs as readonly string[]).includes(design)) ?? null;
}
