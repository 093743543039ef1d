/**
 * Entry of a task worker thread (a tsup entry of its own: dist/entry/worker.js). It runs every task it
 * is sent on this thread, with the same executor the other designs call. A SLEEP or FIB here blocks
 * this thread only; WAITs overlap on this thread's event loop.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { executeTask, toSocketlabError } from '@socketlab/protocol';
import { isBranded, type FromWorker, type TaskResult, type ToWorker, type WorkerConfig } from '../messages.ts';

if (isMainThread || !parentPort) throw new Error('@socketlab/server-mt: entry/worker.js must run in a worker thread');
const port = parentPort;
const { context } = workerData as WorkerConfig;

let outbox: TaskResult[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (outbox.length === 0) return;
  const msg: FromWorker = { __socketlab__: true, type: 'results', batch: outbox };
  outbox = [];
  port.postMessage(msg);
}

function scheduleFlush(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

// Tasks that hold this thread: answer what is already done before starting one.
const HOLDS_THREAD = new Set(['SLEEP', 'FIB', 'HASH']);

port.on('message', (msg: ToWorker) => {
  if (!isBranded(msg) || msg.type !== 'run') return;
  for (const [id, task] of msg.batch) {
    if (HOLDS_THREAD.has(task.name) && outbox.length > 0) flush();
    try {
      const value = executeTask(task, context);
      if (typeof value === 'string' || value instanceof Uint8Array) {
        outbox.push([id, 1, value]);
      } else {
        value.then(
          (v) => {
            outbox.push([id, 1, v]);
            scheduleFlush();
          },
          (err: unknown) => {
            outbox.push([id, 0, toSocketlabError(err).toJSON()]);
            scheduleFlush();
          },
        );
      }
    } catch (err) {
      outbox.push([id, 0, toSocketlabError(err).toJSON()]);
    }
  }
  flush();
});
