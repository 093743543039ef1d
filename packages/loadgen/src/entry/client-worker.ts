/**
 * Entry of a loadgen client process (a tsup entry of its own: dist/entry/client-worker.js). The parent
 * (runSweep) forks it, then for each run: `prepare` (the clients and the target) → `ready`, `go` →
 * runs the clients → `result`. In `workers` mode one process serves many runs; in `process` mode each
 * process runs one client once.
 */
import { runClients } from '../client-core.ts';
import { BRAND, isBranded, type FromWorker, type PrepareMessage, type ToWorker } from '../messages.ts';
import { createOpenWorker } from '../open/worker.ts';

if (!process.send) throw new Error('@socketlab/loadgen: entry/client-worker.js must be started with an IPC channel (child_process.fork)');
const send = (msg: FromWorker) => process.send!(msg);

// Ctrl-C on a terminal signals the whole foreground process group, us included. The parent owns the
// shutdown (it aborts the run and collects partial results), so the signal is ignored here.
process.on('SIGINT', () => {});
// No orphans: when the parent goes away, even by SIGKILL, the IPC channel closes, and so do we.
process.on('disconnect', () => process.exit(0));

let prepared: PrepareMessage | null = null;
let controller = new AbortController();
const open = createOpenWorker(send);

process.on('message', (msg: ToWorker) => {
  if (!isBranded(msg)) return;
  if (open.handle(msg)) return; // an open-model run's message (src/open/worker.ts)
  switch (msg.type) {
    case 'prepare':
      prepared = msg;
      controller = new AbortController();
      send({ [BRAND]: true, type: 'ready', runId: msg.runId });
      break;
    case 'go': {
      const run = prepared;
      if (!run || run.runId !== msg.runId) {
        send({ [BRAND]: true, type: 'failed', error: { code: 'SOCKETLAB_ERR_LOADGEN_WORKER', message: `go for run ${msg.runId} without a matching prepare` } });
        break;
      }
      prepared = null;
      const cpu0 = process.cpuUsage();
      runClients(run, controller.signal).then(
        ({ clients, histogram }) => send({ [BRAND]: true, type: 'result', runId: run.runId, clients, histogram, cpu: process.cpuUsage(cpu0) }),
        (err: Error) => send({ [BRAND]: true, type: 'failed', error: { code: 'SOCKETLAB_ERR_LOADGEN_WORKER', message: err.message } }),
      );
      break;
    }
    case 'abort':
      controller.abort();
      break;
    case 'shutdown':
      process.disconnect();
      break;
  }
});

send({ [BRAND]: true, type: 'loaded' });
