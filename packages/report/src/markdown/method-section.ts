import { runDefinitionOf, type RunDefinition } from '@socketlab/results';
import type { Analysis } from '../analysis.ts';
import { list, percent } from '../format.ts';
import { SCALING_RULE } from '../analysis.ts';
import { COMPARISON_RULE } from '@socketlab/results';
import { PROSE_RULES } from '../prose.ts';
import type { MarkdownContext } from './context.ts';

/** What a run's total time covers under each of loadgen's run definitions (config.runDefinition). */
const RUN_CLOCK: Readonly<Record<RunDefinition, string>> = {
  'connect-then-release': 'every client connected first, then all were released at once, so a run\'s total time (release → the last client\'s Goodbye!) leaves the connects out (loadgen\'s `connect-then-release`)',
  'release-then-connect': 'the clients were released at once and each connected after, so a run\'s total time (release → the last client\'s Goodbye!) includes the connects and loadgen\'s release hop, 9–17 ms per run on the reference machine (loadgen\'s `release-then-connect`, like the lesson\'s start.sh; files written before loadgen recorded it ran so)',
};

/** One sentence: when the runs' clock started, per input file when they differ. */
function runClockLine(a: Analysis): string {
  const byDefinition = new Map<RunDefinition, string[]>();
  for (const input of a.dataset.inputs) {
    const d = runDefinitionOf(input.results.config);
    byDefinition.set(d, [...(byDefinition.get(d) ?? []), input.name]);
  }
  if (byDefinition.size <= 1) return `- **A run's clock**: ${RUN_CLOCK[[...byDefinition.keys()][0] ?? 'connect-then-release']}.`;
  const parts = [...byDefinition].map(([d, names]) => `in ${list(names)} ${RUN_CLOCK[d]}`);
  return `- **A run's clock** differs between the inputs, whose runs are pooled: ${parts.join('; ')}.`;
}

/** How the report reads the data: the definitions and thresholds behind every number and sentence. */
export function methodSection(ctx: MarkdownContext, a: Analysis): string[] {
  const r = PROSE_RULES;
  const k = String(ctx.kneeElasticity);
  return [
    '## How this report reads the data',
    '',
    runClockLine(a),
    '- **Median**: of the total times of a cell\'s complete runs (the mean of the two middle ones for an even count), as in the lesson. Runs from several input files are pooled.',
    '- **Marginal cost**: the slope of the least-squares line through the medians against N, in ms per extra client; the intercept is that line at N = 0, and R² says how straight the curve is.',
    `- **Scaling and the knee**: the elasticity is the slope of ln(median) against ln(N) (least squares, at least 3 N): below ${SCALING_RULE.flatBelow} the curve is flat (the design absorbs extra clients), from ${SCALING_RULE.proportionalFrom} to ${SCALING_RULE.superlinearFrom} proportional to N (no scaling), in between sublinear, above superlinear. The knee is the first N whose local elasticity (from the N before) reaches ${k} after every earlier step stayed below it; a curve steep from its first step has none.`,
    `- **Faster, slower or tie**: one design is faster than another at one N only by this rule on the clean runs' total times (not the medians alone): with fewer than ${COMPARISON_RULE.minRuns} runs on either side, a tie; with fewer than ${COMPARISON_RULE.rankTestMinRuns}, faster only when the ranges do not overlap; with more, a two-sided Mann–Whitney rank test at p < ${COMPARISON_RULE.alpha}. The Summary names a fastest design at an N only when it is faster than every other there; otherwise it says tie. A cell with a noisy run (other processes used more CPU than loadgen's noise threshold) withholds the ranking at its N.`,
    '- **Cost model**: each task is blocking I/O (SLEEP), non-blocking I/O (WAIT), CPU (FIB) or instant (PING). A design runs a number of tasks at once ("lanes"): the iterative server 1; the event loop 1 for blocking and CPU tasks, all N for non-blocking ones; a process or thread per connection all N for blocking tasks but only as many CPU tasks as there are cores; a pool its size (CPU tasks: at most the cores). The predicted marginal cost is Σ share × tasks per client × task time ÷ lanes. A CPU task\'s time is the fastest task recorded for the workload (one round trip included).',
    `- **Which sentence applies**: the model "explains the curve" only when the measured slope is within the larger of ${percent(r.modelTolerance)} of the prediction and ${r.floorMs} ms, and the line fits (R² ≥ ${r.minR2} from at least 3 N; no R² is given from 2 points). Otherwise the report says by how much the model misses. Above that the excess is per-client overhead, put down to start-up cost when the server's extra CPU per client, spread over the cores, covers at least ${percent(r.startupShare)} of it; below it, the design overlapped more than the model assumes.`,
    `- **Speed-up**: the iterative server's median ÷ the design's median at the same N.`,
    '- **Latency**: request written → reply received for each task (time queued in the server included), from the HDR histograms in the input: the histograms of a cell\'s complete runs are added, then p50, p90, p99 and max are read off; percentiles are never averaged.',
    '- **Server CPU and memory**: user + system CPU of the server\'s whole process tree during each run, and its peak summed RSS, sampled from /proc by loadgen; medians over the runs.',
    `- **Charts**: a chart uses a log y axis when its largest value is at least ${ctx.logScaleSpread} × its smallest (the subtitle says so); the per-design total-time charts are always linear from 0, like the lesson's.`,
    '- **Fastest**: the design with the lowest median total time at each N; the comparisons use the largest N every design has.',
    '',
  ];
}
