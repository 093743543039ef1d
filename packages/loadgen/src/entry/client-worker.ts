/**
 * Entry of a loadgen client process (a tsup entry of its own: dist/entry/client-worker.js). The parent
 * (runSweep) forks it, then for each run: `prepare` (the clients and the target) → `ready`, `go` →
 * runs the clients → `result`. With runDefinition `connect-then-release` the clients connect on
 * `prepare` and `ready` means every one has connected (or failed); `go` sends their first requests.
 * With `release-then-connect`, `ready` comes at once and the clients connect on `go`. In `workers` mode
 * one process serves many runs; in `process` mode each process runs one client once.
 */
import { watchParent } from '@socketlab/protocol/server';
import { measureActivity } from '../activity.ts';
import { runClients, type ReleaseGate } from '../client-core.ts';
import { BRAND, isBranded, type FromWorker, type PrepareMessage, type ToWorker } from '../messages.ts';
import { createOpenWorker } from '../open/worker.ts';

// No orphans, first of all: when the parent goes (even by SIGKILL, even before we are set up), so do we.
watchParent(() => process.exit(0));
if (!process.send) throw new Error('@socketlab/loadgen: entry/client-worker.js must be started with an IPC channel (child_process.fork)');
const send = (msg: FromWorker): void => void process.send!(msg);
const open = createOpenWorker(send);

// Ctrl-C on a terminal signals the whole foreground process group, us included. The parent owns the
// shutdown (it aborts the run and collects partial results), so the signal is ignored here.
process.on('SIGINT', () => {});

let prepared: PrepareMessage | null = null;
let controller = new AbortController();
/** connect-then-release: the clients already connecting, and the release that lets them send. */
let connecting: { release: () => void; finished: ReturnType<typeof runClients> } | null = null;

const fail = (message: string): void => send({ [BRAND]: true, type: 'failed', error: { code: 'SOCKETLAB_ERR_LOADGEN_WORKER', message } });

function prepare(msg: PrepareMessage): void {
  prepared = msg;
  controller = new AbortController();
  connecting = null;
  const ready = () => send({ [BRAND]: true, type: 'ready', runId: msg.runId });
  if (msg.runDefinition !== 'connect-then-release' || msg.clients.length === 0) return ready();
  let waiting = msg.clients.length;
  let release!: () => void;
  const gate: ReleaseGate = {
    released: new Promise<void>((resolve) => (release = resolve)),
    connected: () => {
      if (--waiting === 0) ready();
    },
  };
  const finished = runClients(msg, controller.signal, gate);
  // runClients never rejects by design; if it did before `go`, `ready` would never come: fail now.
  finished.catch((err: Error) => fail(err.message));
  connecting = { release, finished };
}

function go(runId: number): void {
  const run = prepared;
  if (!run || run.runId !== runId) return fail(`go for run ${runId} without a matching prepare`);
  prepared = null;
  const started = connecting;
  connecting = null;
  const stop = measureActivity();
  let finished: ReturnType<typeof runClients>;
  if (started) {
    started.release();
    finished = started.finished;
  } else {
    finished = runClients(run, controller.signal);
  }
  finished.then(
    ({ clients, histogram }) => send({ [BRAND]: true, type: 'result', runId: run.runId, clients, histogram, ...stop() }),
    (err: Error) => {
      stop();
      if (!started) fail(err.message); // a connect-then-release run has already said so (prepare)
    },
  );
}

process.on('message', (msg: ToWorker) => {
  if (!isBranded(msg)) return;
  if (open.handle(msg)) return; // an open-model run's message (src/open/worker.ts)
  switch (msg.type) {
    case 'prepare':
      prepare(msg);
      break;
    case 'go':
      go(msg.runId);
      break;
    case 'abort':
      controller.abort();
      break;
    case 'shutdown':
      process.disconnect();
      break;
  }
});

send({ [BRAND]: true, type: 'loaded' });
