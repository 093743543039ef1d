import { DESIGNS, designOf, isBuiltIn, isPerConnection, median, type CellResult, type DesignLabel } from '@socketlab/results';
import { BASELINE_DESIGN, type Analysis, type DesignAnalysis, type TaskShare, type WorkloadAnalysis } from './analysis.ts';
import { code, duration, list, num, r2, times } from './format.ts';

/**
 * The rules that turn the analysis into sentences. Every number comes from the data; the thresholds
 * below decide which sentence applies. The README of @socketlab/report lists these rules.
 */
export const PROSE_RULES = Object.freeze({
  /** The cost model explains a slope when |measured − predicted| ≤ the larger of this fraction of the prediction … */
  modelTolerance: 0.25,
  /** … and this many ms per client (a prediction of 0 still allows timer and scheduling jitter), … */
  floorMs: 0.5,
  /** … and the straight line fits: R² at least this, from at least 3 N. */
  minR2: 0.9,
  /** Start-up cost explains an overhead when the server's CPU per extra client ÷ cores covers at least this fraction of it. */
  startupShare: 0.5,
  /**
   * Prefork children shared a design's connections unevenly when the median, over its runs, of the
   * coefficient of variation of their per-child counts is at least this (0 = even; 0.2: the typical
   * child is a fifth away from the mean).
   */
  imbalanceCv: 0.2,
});

/** What runs a client's tasks in `design`, in words (`process`, `thread`), from the design catalogue. */
function unitOf(design: DesignLabel): string | undefined {
  const executor = designOf(design)?.executor;
  return executor === 'process' || executor === 'thread' ? executor : undefined;
}

function plural(unit: string, n: number): string {
  return n === 1 ? unit : unit === 'process' ? 'processes' : `${unit}s`;
}

function templates(tasks: readonly TaskShare[], kind: TaskShare['kind']): string {
  return list(tasks.filter((t) => t.kind === kind).map((t) => code(t.template)));
}

/** Why the design runs tasks the way it does: one clause per kind of task, from the lanes of the cost model. */
export function laneSentence(d: DesignAnalysis, w: WorkloadAnalysis, cores: number, poolSize: number): string {
  if (d.design === 'external') return 'Loadgen did not start this server, so its design (and so the cost model) is unknown.';
  if (!isBuiltIn(d.design)) return 'This is a user\'s server (started from its command, `--server`): loadgen measured it like the built-in designs but does not know its design, so there is no cost model to compare it with.';
  if (d.design === 'single-iterative') {
    return 'It serves one connection at a time: the other clients wait, connected but unread, in its FIFO of accepted sockets, so each client\'s whole conversation runs after the previous one\'s and the total grows as N × (one client\'s work + per-connection overhead).';
  }
  const kinds = [...new Set(w.tasks.map((t) => t.kind))].filter((k) => k !== 'other');
  const unit = unitOf(d.design);
  const clauses: string[] = [];
  for (const kind of kinds) {
    const t = templates(w.tasks, kind);
    if (d.design === 'single-event-loop') {
      if (kind === 'blocking') clauses.push(`${t} blocks the event loop, the server's only thread, so those tasks run one after another although every connection is open`);
      else if (kind === 'cpu') clauses.push(`${t} runs on the event loop's one thread: one task at a time, on one core`);
      else if (kind === 'async') clauses.push(`${t} occupies no thread, so the event loop overlaps every client's task`);
      else clauses.push(`${t} costs next to nothing, so only per-request overhead shows`);
    } else if (isPerConnection(d.design)) {
      if (kind === 'blocking') clauses.push(`each connection gets a ${unit} of its own, so ${t} tasks overlap`);
      else if (kind === 'cpu') clauses.push(`each connection gets a ${unit} of its own, but ${t} is CPU-bound: at most ${cores} run at once on ${cores} cores`);
      else if (kind === 'async') clauses.push(`${t} tasks overlap (they occupy no ${unit})`);
      else clauses.push(`${t} costs next to nothing, so the ${unit} per connection is what shows`);
    } else {
      const lanes = Math.min(poolSize, cores);
      if (kind === 'blocking') clauses.push(`only ${poolSize} ${t} tasks run at once, one per pooled ${unit}, so clients go through in ⌈N / ${poolSize}⌉ waves`);
      else if (kind === 'cpu') clauses.push(`at most ${lanes} ${t} tasks run at once (${poolSize} pooled ${plural(unit!, poolSize)} on ${cores} cores)`);
      else if (kind === 'async') clauses.push(`${t} tasks overlap (they occupy no ${unit})`);
      else clauses.push(`${t} costs next to nothing, so only per-request overhead shows`);
    }
  }
  return capitalize(`${clauses.join('; ')}.`);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The predicted slope as a formula, e.g. "15 ms ÷ 2 lanes" or "0: the tasks overlap". */
function predictionText(d: DesignAnalysis, w: WorkloadAnalysis, tasksPerClient: number): string {
  const m = d.model!;
  const parts: string[] = [];
  for (const t of w.tasks) {
    const lane = m.lanes.find((l) => l.kind === t.kind)!;
    if (t.taskMs === 0 || !Number.isFinite(lane.lanes)) continue;
    const share = w.tasks.length > 1 ? `${num(t.share)} × ` : '';
    const tpc = tasksPerClient > 1 ? `${tasksPerClient} × ` : '';
    parts.push(`${share}${tpc}${num(t.taskMs)} ms ÷ ${lane.lanes} lane${lane.lanes === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.join(' + ') : '0: the tasks overlap';
}

/** The cost-model verdict for one design: predicted vs measured slope, and where any overhead comes from. */
export function modelSentence(d: DesignAnalysis, w: WorkloadAnalysis, tasksPerClient: number, cores: number): string | null {
  if (!d.model || !d.fit) return null;
  const rules = PROSE_RULES;
  const s = d.fit.slope;
  const e = d.model.expectedSlopeMs;
  const over = s - e;
  const tol = Math.max(rules.modelTolerance * e, rules.floorMs);
  const fitText = d.fit.r2 === null ? (d.fit.points < 3 ? `from ${d.fit.points} N only, so no R²` : 'flat') : `R² ${r2(d.fit.r2)}`;
  const head = `Measured ${num(s)} ms per extra client (${fitText}); the cost model predicts ${num(e)} ms (${predictionText(d, w, tasksPerClient)}).`;
  const straight = d.fit.points >= 3 && d.fit.r2 !== null && d.fit.r2 >= rules.minR2;
  const ratio = e > 0 ? ` (${times(s / e)} the prediction)` : '';
  if (Math.abs(over) <= tol) {
    if (straight) return `${head} The cost model explains the curve: the slope is within ${num(tol)} ms of the prediction and the line fits.`;
    return `${head} The slope is near the prediction, but ${d.fit.points < 3 ? 'two points always lie on a line' : `the medians scatter about the line (R² below ${rules.minR2})`}, so this does not show that the model explains the curve.`;
  }
  if (s < 0) return `${head} The total time falls as N grows, so noise or start-up effects at the smallest N outweigh what the tasks add; the model misses by ${num(Math.abs(over))} ms per client.`;
  if (over < 0) {
    return `${head} The model misses by ${num(-over)} ms per client${ratio}, on the low side: the design overlapped more work than its ${d.model.lanes.map((l) => `${Number.isFinite(l.lanes) ? l.lanes : 'N'} ${l.kind} lane${l.lanes === 1 ? '' : 's'}`).join(', ')} suggest, or the tasks took less than the times assumed.`;
  }
  let why: string;
  const cpu = d.cpuFit?.slope ?? null;
  // The server's CPU per extra client includes the CPU tasks themselves; only the rest is overhead.
  const taskCpu = taskCpuMs(w, tasksPerClient);
  const singleThread = designOf(d.design)?.executor === 'none';
  // A single-threaded server's CPU time is wall time; a multi-process/thread one can spread it over the cores.
  const spread = singleThread ? 1 : cores;
  if (cpu !== null) {
    const extra = cpu - taskCpu;
    const own = taskCpu > 0 ? ` beyond the ${num(taskCpu)} ms its tasks need` : '';
    const where = singleThread ? 'on its one thread' : `spread over ${cores} cores`;
    if (extra > 0 && extra / spread >= rules.startupShare * over) {
      const what = !isPerConnection(d.design)
        ? ' (accepting and handling the connection)'
        : unitOf(d.design) === 'process'
          ? ', mostly starting a Node.js process for each connection'
          : ', mostly starting a worker thread (a fresh V8 isolate) for each connection';
      why = `The server spends ${num(extra)} ms of CPU per extra client${own}${what}; ${where}, that alone is at least ${num(extra / spread)} ms of wall time per client.`;
    } else {
      why = `The server's CPU grows by only ${num(Math.max(0, extra))} ms per extra client${own}, so most of the overhead is outside the server's CPU: connection set-up, scheduling, and loadgen's own clients on the same ${cores} cores.`;
    }
  } else {
    why = 'There is no server CPU data to attribute it.';
  }
  return `${head} The model misses by ${num(over)} ms per client${ratio}: per-client overhead it does not include. ${why}`;
}

/** How the curve grows with N (elasticity) and where its knee is, if it has one. */
export function scalingSentence(d: DesignAnalysis): string | null {
  const sc = d.scaling;
  if (!sc || sc.maxN === sc.baseN) return null;
  const growth = `From N = ${sc.baseN} to ${sc.maxN} (${times(sc.maxN / sc.baseN)} the clients) its median grows ${times(sc.ratioAtMax)}`;
  if (sc.elasticity === null) return `${growth}; with fewer than 3 N the report does not classify the curve.`;
  const e = `elasticity ${sc.elasticity.toFixed(2)}`;
  const kind = {
    flat: 'it absorbs the extra clients: the total time barely depends on N',
    sublinear: 'it scales partly: the total time grows, but more slowly than N',
    proportional: 'it does not scale: the total time grows in proportion to N (serial work, or waves of a fixed size)',
    superlinear: 'it scales worse than serially: the total time grows faster than N',
  }[sc.kind!];
  const knee = sc.kneeN !== null
    ? ` Its knee is at N = ${sc.kneeN}: the local elasticity stays below ${sc.kneeElasticity} up to there and reaches it on the step to N = ${sc.kneeN}.`
    : sc.steps.length > 0 && sc.steps[0]!.elasticity >= sc.kneeElasticity ? ' It has no knee: it is steep from the first step.' : ` It has no knee in this sweep: no step reaches an elasticity of ${sc.kneeElasticity}.`;
  return `${growth} (${e}), so ${kind}.${knee}`;
}

/** For the iterative server: the lesson's N × task time check at the largest N. */
export function iterativeSentence(d: DesignAnalysis): string | null {
  if (d.design !== BASELINE_DESIGN || !d.model) return null;
  const last = [...d.cells].reverse().find((c) => c.medianTotalMs !== null);
  if (!last) return null;
  const n = last.clients;
  const work = d.model.perClientWorkMs;
  return `At N = ${n}: N × one client's work = ${n} × ${num(work)} ms = ${duration(n * work)}; measured median ${duration(last.medianTotalMs!)} (${num(last.medianTotalMs! / n)} ms per client).`;
}

/** Every sentence about one design in one workload. */
export function designProse(a: Analysis, w: WorkloadAnalysis, d: DesignAnalysis): string[] {
  const ds = a.dataset;
  return [
    `**${d.design}.** ${laneSentence(d, w, ds.cores, ds.poolSize)}`,
    modelSentence(d, w, ds.tasksPerClient, ds.cores),
    iterativeSentence(d),
    scalingSentence(d),
  ].filter((s): s is string => s !== null);
}

/** What the workload's cost model means on this machine. */
export function costModelSentence(a: Analysis, w: WorkloadAnalysis): string {
  const ds = a.dataset;
  const loadgenProcs = ds.inputs[0]!.results.config.clientMode === 'workers' ? `its ${ds.inputs[0]!.results.config.loadgenWorkers} client processes` : 'one process per client';
  const sentences: string[] = [];
  const kinds = new Set(w.tasks.map((t) => t.kind));
  if (kinds.has('blocking')) {
    sentences.push(`${templates(w.tasks, 'blocking')} is blocking I/O: it occupies the thread or process that runs it, so only designs that give each client a process or thread of its own overlap those tasks, the pools overlap ${ds.poolSize} (their size), and the single event loop runs them one after another like the iterative server.`);
  }
  if (kinds.has('async')) {
    sentences.push(`${templates(w.tasks, 'async')} is non-blocking I/O: a timer that occupies no thread, so every design but the iterative server can overlap all N tasks.`);
  }
  if (kinds.has('cpu')) {
    const cpu = w.tasks.find((t) => t.kind === 'cpu')!;
    const how = cpu.source === 'measured'
      ? `one task took ${num(cpu.taskMs)} ms here (the fastest task recorded${w.workload.fibEstimatedMs !== null ? `; ${num(w.workload.fibEstimatedMs)} ms on the reference machine` : ''})`
      : `one task takes about ${num(cpu.taskMs)} ms (the reference machine's estimate)`;
    sentences.push(`${templates(w.tasks, 'cpu')} is CPU-bound and ${how}. This machine has ${ds.cores} core${ds.cores === 1 ? '' : 's'}, so no design runs more than ${ds.cores} at once, loadgen (the parent and ${loadgenProcs}) competes for the same cores, and no design can add less than about ${num((cpu.taskMs * cpu.share * ds.tasksPerClient) / ds.cores)} ms per extra client.`);
  }
  if (kinds.has('instant')) sentences.push(`${templates(w.tasks, 'instant')} costs next to nothing: what the curves show is per-connection overhead.`);
  return sentences.join(' ');
}


/** Facts about what Node.js could not do that hold on every line (true of the designs, not of the data). */
const OTHER_NODE_LIMITS: readonly string[] = Object.freeze([
  '**The iterative server\'s wait queue is a FIFO of accepted-but-unread sockets.** libuv always accepts incoming connections, so Node cannot leave clients in the kernel\'s listen backlog the way the lesson\'s `accept()` loop does. The server accepts them, pauses them unread, and serves them in order; a waiting client is connected but unanswered, as with a real backlog, and the queue is bounded by `--backlog` (`SOCKETLAB_ERR_BACKLOG_FULL` beyond it).',
  '**Process start-up is Node.js start-up.** A process per connection (server-mp) starts a fresh Node.js process (`child_process.fork()` runs a new Node.js, it does not copy the running one as POSIX `fork()` does), which must boot V8 and load its code before it can read the socket; the server CPU per extra client above measures that cost on this machine.',
]);

const SOCKET_IO_UNRECORDED =
  '**server-mt keeps socket I/O on the main thread.** Node.js 20 cannot move a socket into a worker thread, so the threads run the tasks while the main thread reads requests and writes replies for every connection. A thread per connection therefore parallelises the work, not the I/O.';

/**
 * What the lesson's designs needed and the Node.js that ran the sweep could not give, from the features
 * loadgen probed (`environment.features`). Files written before loadgen recorded them get the text they
 * were shipped with (Node 20, which could not transfer a socket).
 */
export function nodeLimits(envs: readonly { node: string; features?: { socketTransfer: boolean } }[], mtIo: readonly ('thread' | 'main' | null | undefined)[] = []): string[] {
  const recorded = envs.filter((e) => e.features !== undefined);
  let socketIo = SOCKET_IO_UNRECORDED;
  if (recorded.length > 0) {
    const versions = [...new Set(recorded.map((e) => e.node))].join(', ');
    socketIo = recorded.every((e) => e.features?.socketTransfer)
      ? mtIo.includes('thread')
        ? `**server-mt's thread per client owned its client's socket** (\`io=thread\`, recorded by loadgen): the Node.js that ran this sweep (${versions}) can transfer an accepted socket to a worker thread, as the lesson's threads own theirs. A client that sent bytes while it waited at the worker cap, and the thread pool, still have their socket I/O done by the main thread.`
        : `**server-mt kept socket I/O on the main thread.** The Node.js that ran this sweep (${versions}) can transfer an accepted socket to a worker thread, but the servers of this sweep did not (\`io=main\`, or not recorded): their threads ran the tasks while the main thread read requests and wrote replies. A thread per connection therefore parallelised the work, not the I/O.`
      : `**server-mt keeps socket I/O on the main thread.** The Node.js that ran this sweep (${versions}) cannot transfer a socket to a worker thread (probed), so the threads run the tasks while the main thread reads requests and writes replies for every connection. A thread per connection therefore parallelises the work, not the I/O.`;
  }
  return [socketIo, ...OTHER_NODE_LIMITS];
}

/**
 * Prefork (mp-prefork-*): how evenly each accepting policy shared the connections between the children,
 * from the runs' `childShares`, and whether the operating system's policy (`os`, and `reuseport`'s
 * hash) was imbalanced on this machine or that did not reproduce. Null without prefork runs.
 */
export function preforkSharesParagraph(cells: readonly CellResult[]): string | null {
  const byDesign = new Map<string, { cv: number[]; worst: { cv: number; accepted: number[]; clients: number } | null; runs: number }>();
  for (const cell of cells) {
    for (const run of cell.runs) {
      const shares = run.childShares;
      if (!run.complete || !shares || shares.cv === null) continue;
      const d = byDesign.get(cell.design) ?? { cv: [], worst: null, runs: 0 };
      d.cv.push(shares.cv);
      d.runs++;
      if (!d.worst || shares.cv > d.worst.cv) d.worst = { cv: shares.cv, accepted: shares.accepted, clients: cell.clients };
      byDesign.set(cell.design, d);
    }
  }
  if (byDesign.size === 0) return null;
  const limit = PROSE_RULES.imbalanceCv;
  const parts: string[] = [];
  const verdicts: string[] = [];
  for (const design of DESIGNS.filter((x) => byDesign.has(x))) {
    const d = byDesign.get(design)!;
    const m = median(d.cv)!;
    const w = d.worst!;
    parts.push(`${code(design)}: median coefficient of variation ${num(m)} over ${d.runs} run${d.runs === 1 ? '' : 's'} (worst ${num(w.cv)}: ${w.accepted.join(' / ')} connections per child at N = ${w.clients})`);
    if (design === 'mp-prefork-os' || design === 'mp-prefork-reuseport') {
      const who = design === 'mp-prefork-os' ? 'the operating system\'s policy (children accepting from one shared socket)' : 'SO_REUSEPORT\'s hash (a socket per child)';
      verdicts.push(m >= limit ? `${who} was imbalanced here (median ${num(m)} ≥ ${num(limit)})` : `the imbalance often reported for ${who} did not reproduce here (median ${num(m)} < ${num(limit)})`);
    }
  }
  const verdict = verdicts.length ? ` So ${verdicts.join('; ')}.` : '';
  return `How the pre-forked children shared each run's connections (0 = perfectly even): ${parts.join('; ')}.${verdict} An uneven share matters where a child's work blocks it (\`SLEEP\`, \`FIB\`): a child given more clients serves them one after another while another idles.`;
}

/** CPU one client's tasks need, ms: the CPU-bound tasks' time (blocking and non-blocking tasks use none). */
export function taskCpuMs(w: WorkloadAnalysis, tasksPerClient: number): number {
  return w.tasks.filter((t) => t.kind === 'cpu').reduce((sum, t) => sum + t.share * tasksPerClient * t.taskMs, 0);
}
