import type { Socket } from 'node:net';
import type { ExecutionContext, Task } from '@socketlab/protocol';
import type { SerializedError } from '@socketlab/protocol';
import type { HostConfig } from '@socketlab/protocol/server';

/**
 * Messages between the main thread and a worker thread: one tagged union, declared once and imported
 * by both sides. A thread either runs tasks it is posted (`run`; the main thread does the socket I/O)
 * or owns a client's socket, transferred with the message (`own`), and serves it itself. Tasks travel
 * in batches (one postMessage per worker per event-loop turn) because postMessage, not the task,
 * dominates the cost of an instant task like PING.
 */
export type ToWorker =
  | { __socketlab__: true; type: 'run'; batch: [id: number, task: Task][] }
  // The socket is in the message's transfer list: from then on only this thread can read or write it.
  | { __socketlab__: true; type: 'own'; id: number; socket: Socket }
  // Graceful: the owned connection finishes what is in flight, answers the rest SHUTTING_DOWN, then ends.
  | { __socketlab__: true; type: 'drain' }
  // The drain timeout passed: the owned connection's oldest unanswered request gets SHUTTING_DOWN, then it closes.
  | { __socketlab__: true; type: 'stop' };

export type TaskResult = [id: number, ok: 1, value: string | Uint8Array] | [id: number, ok: 0, error: SerializedError];

export type FromWorker =
  | { __socketlab__: true; type: 'results'; batch: TaskResult[] }
  // An owned connection has closed: its counts, for the server's stats.
  | { __socketlab__: true; type: 'closed'; id: number; tasks: number; errors: number }
  // A log line of an owned connection. A worker's process.stdout reaches the main thread asynchronously and
  // loses what is pending when the thread is terminated; on the port, lines arrive in order before 'closed'.
  | { __socketlab__: true; type: 'log'; line: string };

export interface WorkerConfig {
  context: ExecutionContext;
  /** How to serve an owned socket (limits, timeouts, log). */
  host: HostConfig;
}

/** What a thread is started with: its config, and the flag the main thread sets when it drains (1: a task not yet started is not started). */
export interface WorkerData extends WorkerConfig {
  draining: SharedArrayBuffer;
}

// The one message brand (`__socketlab__`), declared once in @socketlab/protocol.
export { isBranded } from '@socketlab/protocol';
