/**
 * Entry of a server-mt worker thread (a tsup entry of its own: dist/entry/worker.cjs). The thread does
 * one of two jobs, whichever the main thread asks for first:
 * - runs the tasks it is posted, on this thread (`run`; the main thread keeps the socket): a SLEEP or
 *   FIB blocks this thread only, WAITs overlap on its event loop;
 * - owns a client's socket (`own`, the socket transferred with the message) and serves it entirely with
 *   the same core the other designs use: reads, runs each task inline, writes, lingers, and reports the
 *   connection's counts when it closes. The main thread is then out of the client's path.
 */
import type { Socket } from 'node:net';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import { ShuttingDownError, WorkerCrashedError, executeTask, toSocketlabError } from '@socketlab/protocol';
import { SocketHost, occupiesThread } from '@socketlab/protocol/server';
import { isBranded, type FromWorker, type TaskResult, type ToWorker, type WorkerData } from '../messages.ts';

if (isMainThread || !parentPort) throw new Error('@socketlab/server-mt: entry/worker.cjs must run in a worker thread');
const port = parentPort;
const config = workerData as WorkerData;
const draining = new Int32Array(config.draining);
// INFO says which thread does the client's I/O: here for an owned socket, the main thread otherwise.
const taskContext = { ...config.context, io: 'main' as const };
const host = new SocketHost(config.host, { ...config.context, io: 'thread' }, { pid: process.pid, thread: threadId }, (line) =>
  port.postMessage({ __socketlab__: true, type: 'log', line } satisfies FromWorker),
);

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

function run(batch: Extract<ToWorker, { type: 'run' }>['batch']): void {
  for (const [id, task] of batch) {
    // A task that holds this thread: answer what is already done before starting it.
    if (outbox.length > 0 && occupiesThread(task)) flush();
    // Drained while this batch ran: a task that holds the thread and has not started does not start.
    if (occupiesThread(task) && Atomics.load(draining, 0) === 1) {
      outbox.push([id, 0, new ShuttingDownError('server is shutting down; request not started').toJSON()]);
      continue;
    }
    try {
      const value = executeTask(task, taskContext);
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
}

function own(id: number, socket: Socket): void {
  void host.serve(socket).then((counters) => {
    const msg: FromWorker = { __socketlab__: true, type: 'closed', id, tasks: counters.tasks, errors: counters.errors };
    port.postMessage(msg);
  });
}

port.on('message', (msg: ToWorker) => {
  if (!isBranded(msg)) return;
  if (msg.type === 'run') run(msg.batch);
  else if (msg.type === 'own') own(msg.id, msg.socket);
  else if (msg.type === 'drain') host.shutdownAll();
  else if (msg.type === 'stop') host.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
});

// A bug that escapes to here would end the thread, and with it its socket, silently. Once the socket is
// ours the main thread can no longer answer for us, so answer here: the oldest unanswered request gets
// WORKER_CRASHED, the connection ends (its counts are reported as it closes), then the thread exits 1,
// which the main thread counts as a crash.
process.on('uncaughtException', (err) => {
  host.destroyAll(new WorkerCrashedError(`worker thread ${threadId} failed: ${err instanceof Error ? err.message : String(err)}`));
  void host.closedAll().then(() => process.exit(1));
  setTimeout(() => process.exit(1), config.host.lingerMs).unref();
});
