import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { GOODBYE, SPACE } from './constants.ts';
import type { Framing } from './decoder.ts';
import { InvalidArgumentError, InvalidUtf8Error, LimitExceededError, UnknownCommandError } from './errors.ts';
import type { Limits } from './limits.ts';

/**
 * How a task spends its time. This is what the report uses to explain each design's curve:
 * - `instant`: microseconds of CPU; measures per-request overhead.
 * - `blocking-io`: occupies the thread or process that runs it (the lesson's `time.sleep`).
 * - `async-io`: completes later without occupying any thread (a timer; non-blocking I/O).
 * - `cpu`: burns CPU on the thread that runs it.
 * - `control`: talks about the connection or the server itself.
 */
export type CostModel = 'instant' | 'blocking-io' | 'async-io' | 'cpu' | 'control';

export type TaskName = 'PING' | 'ECHO' | 'UPPER' | 'REVERSE' | 'SLEEP' | 'WAIT' | 'FIB' | 'HASH' | 'INFO' | 'EXIT';

export interface TaskDefinition {
  readonly name: TaskName;
  readonly syntax: string;
  readonly cost: CostModel;
  readonly summary: string;
}

/** The task catalogue. docs/protocol.md documents the same entries; a test keeps them in step. */
export const TASKS: readonly TaskDefinition[] = Object.freeze([
  { name: 'PING', syntax: 'PING', cost: 'instant', summary: 'Replies PONG.' },
  { name: 'ECHO', syntax: 'ECHO <text>', cost: 'instant', summary: 'Replies with its argument, byte for byte.' },
  { name: 'UPPER', syntax: 'UPPER <text>', cost: 'instant', summary: 'Replies with the argument in upper case (Unicode-aware).' },
  { name: 'REVERSE', syntax: 'REVERSE <text>', cost: 'instant', summary: 'Replies with the argument reversed by code point (not UTF-16 unit).' },
  { name: 'SLEEP', syntax: 'SLEEP <ms>', cost: 'blocking-io', summary: 'Blocks the thread or process that runs it for <ms> milliseconds (Atomics.wait), like time.sleep in the lesson; replies with <ms>.' },
  { name: 'WAIT', syntax: 'WAIT <ms>', cost: 'async-io', summary: 'Replies <ms> after <ms> milliseconds, occupying no thread meanwhile (a timer).' },
  { name: 'FIB', syntax: 'FIB <n>', cost: 'cpu', summary: 'Computes Fibonacci(n) by naive recursion (about 1.6^n calls) and replies with it.' },
  { name: 'HASH', syntax: 'HASH <rounds> <text>', cost: 'cpu', summary: 'Applies SHA-256 <rounds> times to <text> and replies with the hex digest.' },
  { name: 'INFO', syntax: 'INFO', cost: 'control', summary: 'Replies `design=<d> strategy=<s> pid=<pid> thread=<id>`: who ran the request.' },
  { name: 'EXIT', syntax: 'EXIT', cost: 'control', summary: 'Replies Goodbye!, then the server closes the connection once the reply is flushed.' },
] satisfies TaskDefinition[]);

const BY_NAME = new Map<string, TaskDefinition>(TASKS.map((t) => [t.name, t]));

/**
 * A parsed request, ready to run. Plain data, so it survives postMessage (structured clone) unchanged;
 * `data` arrives as a Uint8Array on the other side.
 */
export interface Task {
  readonly name: TaskName;
  /** SLEEP/WAIT milliseconds, FIB n, HASH rounds; 0 otherwise. */
  readonly n: number;
  /** The text or bytes argument of ECHO, UPPER, REVERSE and HASH; null otherwise. */
  readonly data: Uint8Array | null;
}

/** Who runs tasks: reported by INFO. */
export interface ExecutionContext {
  readonly design: string;
  readonly strategy: string;
  /**
   * Which thread reads and writes the client's socket, where a design can do either (server-mt):
   * `thread` (the thread that runs the client's tasks owns its socket) or `main` (the main thread does
   * the I/O and posts each task over). Reported by INFO as a trailing `io=` field; absent elsewhere.
   */
  readonly io?: 'thread' | 'main';
}

const DIGITS = /^[0-9]{1,15}$/;
const EMPTY = new Uint8Array(0);

function intArg(name: TaskName, text: string | undefined, max: number, what: string, limitName: string): number {
  if (text === undefined || !DIGITS.test(text)) {
    throw new InvalidArgumentError(`${name} expects a non-negative integer ${what} (got ${JSON.stringify(text ?? '')})`);
  }
  const n = Number(text);
  if (n > max) throw new LimitExceededError(`${name} ${n} exceeds ${limitName} (${max})`);
  return n;
}

/**
 * Parses request bytes (`COMMAND[ ARGS]`) into a Task, or throws a coded error. Command names are
 * case-insensitive. Text requests must be valid UTF-8; binary requests may carry any bytes, and only
 * the tasks that interpret text (UPPER, REVERSE) check their argument.
 */
export function parseTask(payload: Uint8Array, framing: Framing, limits: Limits): Task {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (framing === 'text' && !isUtf8(buf)) throw new InvalidUtf8Error();
  const space = buf.indexOf(SPACE);
  const nameEnd = space === -1 ? buf.length : space;
  // Command names are ASCII; latin1 decoding of a name is exact and cheap.
  const raw = buf.toString('latin1', 0, Math.min(nameEnd, 16));
  const def = nameEnd <= 16 ? BY_NAME.get(raw.toUpperCase()) : undefined;
  if (!def) {
    const shown = buf.toString('utf8', 0, Math.min(nameEnd, 32));
    throw new UnknownCommandError(`unknown command '${shown}'; try PING, ECHO, UPPER, REVERSE, SLEEP, WAIT, FIB, HASH, INFO or EXIT`);
  }
  const args: Uint8Array | null = space === -1 ? null : buf.subarray(space + 1);
  const name = def.name;
  switch (name) {
    case 'PING':
    case 'INFO':
    case 'EXIT':
      if (args !== null && args.length > 0) throw new InvalidArgumentError(`${name} takes no arguments`);
      return { name, n: 0, data: null };
    case 'ECHO':
      return { name, n: 0, data: args ?? EMPTY };
    case 'UPPER':
    case 'REVERSE':
      if (args !== null && framing === 'binary' && !isUtf8(args)) throw new InvalidUtf8Error(`${name} needs UTF-8 text`);
      return { name, n: 0, data: args ?? EMPTY };
    case 'SLEEP':
      return { name, n: intArg(name, args ? latin(args) : undefined, limits.maxSleepMs, 'of milliseconds', 'maxSleepMs'), data: null };
    case 'WAIT':
      return { name, n: intArg(name, args ? latin(args) : undefined, limits.maxWaitMs, 'of milliseconds', 'maxWaitMs'), data: null };
    case 'FIB':
      return { name, n: intArg(name, args ? latin(args) : undefined, limits.maxFibN, 'n', 'maxFibN'), data: null };
    case 'HASH': {
      const sp = args ? Buffer.from(args.buffer, args.byteOffset, args.byteLength).indexOf(SPACE) : -1;
      const roundsText = args ? latin(sp === -1 ? args : args.subarray(0, sp)) : undefined;
      const rounds = intArg(name, roundsText, limits.maxHashRounds, 'of rounds', 'maxHashRounds');
      if (rounds < 1) throw new InvalidArgumentError('HASH needs at least 1 round');
      return { name, n: rounds, data: args && sp !== -1 ? args.subarray(sp + 1) : EMPTY };
    }
  }
}

function latin(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

// One shared cell for Atomics.wait: nobody ever notifies it, so a wait always runs to its timeout.
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** A SLEEP blocks in slices of at most this many ms, calling the slice hook between them (see onSleepSlice). */
export const SLEEP_SLICE_MS = 100;

let sliceHook: (() => void) | null = null;

/**
 * Sets what a blocking SLEEP calls between its slices, on this thread (null: nothing). A blocked thread
 * runs no event loop, so it sees no event; this is how a child process notices its parent's death in
 * the middle of a long SLEEP (watchParent installs it) instead of after it.
 */
export function onSleepSlice(hook: (() => void) | null): void {
  sliceHook = hook;
}

/** Blocks the calling thread for `ms` milliseconds, like time.sleep in the lesson (in slices: see onSleepSlice). */
export function blockingSleep(ms: number): void {
  if (!(ms > 0)) return;
  if (sliceHook === null) {
    Atomics.wait(SLEEP_CELL, 0, 0, ms);
    return;
  }
  const end = performance.now() + ms;
  for (let left = ms; left > 0; left = end - performance.now()) {
    Atomics.wait(SLEEP_CELL, 0, 0, Math.min(left, SLEEP_SLICE_MS));
    sliceHook?.();
  }
}

/** Naive recursive Fibonacci: deliberately exponential, the CPU-bound task. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// node:crypto and node:worker_threads are loaded on first use, not at import: a process or thread per
// connection pays every import on every connection, and most connections never HASH or ask INFO.
const lazyRequire = createRequire(import.meta.url);
let crypto: typeof import('node:crypto') | undefined;
let currentThreadId: number | undefined;

function hashRounds(rounds: number, data: Uint8Array): string {
  const { createHash } = (crypto ??= lazyRequire('node:crypto') as typeof import('node:crypto'));
  let digest: Buffer = createHash('sha256').update(data).digest();
  for (let i = 1; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}

function asText(data: Uint8Array | null): string {
  if (!data) return '';
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

const PONG = 'PONG';

/**
 * The one executor every server calls (the lesson's `process_task`). Returns the reply value
 * synchronously for every task except WAIT, whose promise resolves after its delay. SLEEP, FIB and
 * HASH run on, and occupy, the calling thread: where that thread is decides what each design costs.
 */
export function executeTask(task: Task, context: ExecutionContext): string | Uint8Array | Promise<string> {
  switch (task.name) {
    case 'PING':
      return PONG;
    case 'ECHO':
      return task.data ?? EMPTY;
    case 'UPPER':
      return asText(task.data).toUpperCase();
    case 'REVERSE':
      return Array.from(asText(task.data)).reverse().join('');
    case 'SLEEP':
      blockingSleep(task.n);
      return String(task.n);
    case 'WAIT':
      return new Promise((resolve) => setTimeout(resolve, task.n, String(task.n)));
    case 'FIB':
      return String(fib(task.n));
    case 'HASH':
      return hashRounds(task.n, task.data ?? EMPTY);
    case 'INFO':
      currentThreadId ??= (lazyRequire('node:worker_threads') as typeof import('node:worker_threads')).threadId;
      // Fields are only ever appended (readers split on spaces and pick by name), so old clients still parse it.
      return `design=${context.design} strategy=${context.strategy} pid=${process.pid} thread=${currentThreadId}${context.io ? ` io=${context.io}` : ''}`;
    case 'EXIT':
      return GOODBYE;
  }
}

/** Parses an INFO reply into its fields (`io` is null from servers that do not report it). */
export function parseInfo(value: string): { design: string; strategy: string; pid: number; thread: number; io: string | null } {
  const fields = Object.fromEntries(value.split(' ').map((kv) => kv.split('=') as [string, string]));
  return { design: fields.design ?? '', strategy: fields.strategy ?? '', pid: Number(fields.pid), thread: Number(fields.thread), io: fields.io ?? null };
}
