import type { ExecutionContext, SerializedError, Task } from '@socketlab/protocol';

/**
 * Messages between the main thread and a task worker thread: one tagged union, declared once and
 * imported by both sides. Tasks travel in batches (one postMessage per worker per event-loop turn)
 * because postMessage, not the task, dominates the cost of an instant task like PING.
 */
export type ToWorker = { __socketlab__: true; type: 'run'; batch: [id: number, task: Task][] };

export type TaskResult = [id: number, ok: 1, value: string | Uint8Array] | [id: number, ok: 0, error: SerializedError];

export type FromWorker = { __socketlab__: true; type: 'results'; batch: TaskResult[] };

export interface WorkerConfig {
  context: ExecutionContext;
}

// The one message brand (`__socketlab__`), declared once in @socketlab/protocol.
export { isBranded } from '@socketlab/protocol';
