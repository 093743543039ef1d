import type { WorkloadDefinition, WorkloadName } from '@socketlab/results';

/** The workloads a sweep can run (the README describes each): see WORKLOAD_NAMES in schema.ts. */

/**
 * Nominal time of one task at `timeScale` 1, in ms: the lesson's `SLEEP 3000` (3 s of blocking work per
 * client). Every timed workload is scaled from it: a task takes `round(NOMINAL_TASK_MS * timeScale)` ms.
 */
export const NOMINAL_TASK_MS = 3000;

/**
 * FIB's cost model, measured on the reference machine (docs/protocol.md): FIB 30 takes about 9 ms and
 * each extra n multiplies the time by the golden ratio (naive recursion makes ~1.618^n calls).
 */
export const FIB_REFERENCE = Object.freeze({ n: 30, ms: 9, growth: (1 + Math.sqrt(5)) / 2 });

/** Largest FIB n loadgen asks for: the servers' default `maxFibN` (44). */
export const MAX_FIB_N = 44;

/** FIB n whose estimated time on the reference machine is closest to `ms`. */
export function fibNForMs(ms: number): number {
  if (ms <= 0) return 1;
  const n = Math.round(FIB_REFERENCE.n + Math.log(ms / FIB_REFERENCE.ms) / Math.log(FIB_REFERENCE.growth));
  return Math.min(MAX_FIB_N, Math.max(1, n));
}

/** Estimated time of FIB n on the reference machine, ms. */
export function fibEstimatedMs(n: number): number {
  return Math.round(FIB_REFERENCE.ms * FIB_REFERENCE.growth ** (n - FIB_REFERENCE.n) * 1000) / 1000;
}

/** Scaled time of one task, ms (at least 1). */
export function scaledTaskMs(timeScale: number): number {
  return Math.max(1, Math.round(NOMINAL_TASK_MS * timeScale));
}

/** Resolves a workload by name at a time scale. */
export function resolveWorkload(name: WorkloadName, timeScale: number): WorkloadDefinition {
  const ms = scaledTaskMs(timeScale);
  const n = fibNForMs(ms);
  const fib = { fibN: n, fibEstimatedMs: fibEstimatedMs(n) };
  const none = { fibN: null, fibEstimatedMs: null };
  switch (name) {
    case 'sleep':
      return { name, description: `blocking I/O: SLEEP ${ms} occupies the thread or process that runs it`, costModel: 'blocking-io', nominalTaskMs: NOMINAL_TASK_MS, taskMs: ms, ...none, tasks: [`SLEEP ${ms}`] };
    case 'wait':
      return { name, description: `non-blocking I/O: WAIT ${ms} completes after a timer, occupying no thread`, costModel: 'async-io', nominalTaskMs: NOMINAL_TASK_MS, taskMs: ms, ...none, tasks: [`WAIT ${ms}`] };
    case 'fib':
      return { name, description: `CPU: FIB ${n} (about ${fib.fibEstimatedMs} ms of one core on the reference machine)`, costModel: 'cpu', nominalTaskMs: NOMINAL_TASK_MS, taskMs: ms, ...fib, tasks: [`FIB ${n}`] };
    case 'mix':
      return {
        name,
        description: `a mix: SLEEP ${ms}, WAIT ${ms} and FIB ${n}, rotated over clients and tasks`,
        costModel: 'mixed',
        nominalTaskMs: NOMINAL_TASK_MS,
        taskMs: ms,
        ...fib,
        tasks: [`SLEEP ${ms}`, `WAIT ${ms}`, `FIB ${n}`],
      };
    case 'ping':
      return { name, description: 'instant: PING, per-request overhead only', costModel: 'instant', nominalTaskMs: 0, taskMs: 0, ...none, tasks: ['PING'] };
  }
}

/** The requests client `client` sends (EXIT excluded). */
export function clientRequests(workload: Pick<WorkloadDefinition, 'tasks'>, client: number, tasksPerClient: number): string[] {
  const out: string[] = [];
  for (let j = 0; j < tasksPerClient; j++) out.push(workload.tasks[(client + j) % workload.tasks.length]!);
  return out;
}

/** Fibonacci(n), iteratively (the server computes it the slow way; the answer is the same). */
export function fibValue(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/**
 * The reply value a correct server sends to `request` (the text after `OK `), or null when loadgen
 * cannot predict it (INFO). Every reply loadgen gets is checked against this.
 */
export function expectedReply(request: string): string | null {
  const space = request.indexOf(' ');
  const name = (space === -1 ? request : request.slice(0, space)).toUpperCase();
  const arg = space === -1 ? '' : request.slice(space + 1);
  switch (name) {
    case 'PING':
      return 'PONG';
    case 'ECHO':
      return arg;
    case 'UPPER':
      return arg.toUpperCase();
    case 'REVERSE':
      return Array.from(arg).reverse().join('');
    case 'SLEEP':
    case 'WAIT':
      return String(Number(arg));
    case 'FIB':
      return String(fibValue(Number(arg)));
    case 'EXIT':
      return 'Goodbye!';
    default:
      return null;
  }
}
