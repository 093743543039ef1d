/**
 * Entry of a loadgen client process (a tsup entry of its own: dist/entry/client-worker.js). The parent
 * (runSweep) forks it, then for each run: `prepare` (the clients and the target) → `ready`, `go` →
 * runs the clients → `result`. With runDefinition `connect-then-release` the clients connect on
 * `prepare` and `ready` means every one has connected (or failed); `go` sends their first requests.
 * With `release-then-connect`, `ready` comes at once and the clients connect on `go`. In `workers` mode
 * one process serves many runs; in `process` mode each process runs one client once.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runClients, type ReleaseGate } from '../client-core.ts';
import { BRAND, isBranded, type FromWorker, type PrepareMessage, type ResultMessage, type ToWorker } from '../messages.ts';
import { createOpenWorker } from '../open/worker.ts';

if (!process.send) throw new Error('@socketlab/loadgen: entry/client-worker.js must be started with an IPC channel (child_process.fork)');
const send = (msg: FromWorker): void => void process.send!(msg);
const open = createOpenWorker(send);

/** Period of the event-loop delay timer, ms: 1 (the smallest) so that even a 50 ms run gets ~50 samples. */
const ELD_RESOLUTION_MS = 1;

/**
 * TEST ONLY: SOCKETLAB_LOADGEN_TEST_BURN_MS=n makes this process busy-loop n ms at a time (yielding to
 * I/O in between) from `go` to its report, a starved generator for the saturation flag's tests. Read here
 * only, never by the parent; 0 or unset (always, outside tests) does nothing.
 */
const TEST_BURN_MS = Math.max(0, Number(process.env.SOCKETLAB_LOADGEN_TEST_BURN_MS ?? 0) || 0);

function startTestBurn(): () => void {
  if (TEST_BURN_MS === 0) return () => {};
  let timer: NodeJS.Immediate;
  const burn = () => {
    const end = performance.now() + TEST_BURN_MS;
    while (performance.now() < end) {
      // busy: the point of the hook
    }
    timer = setImmediate(burn);
  };
  timer = setImmediate(burn);
  return () => clearImmediate(timer);
}

// Ctrl-C on a terminal signals the whole foreground process group, us included. The parent owns the
// shutdown (it aborts the run and collects partial results), so the signal is ignored here.
process.on('SIGINT', () => {});
// No orphans: when the parent goes away, even by SIGKILL, the IPC channel closes, and so do we.
process.on('disconnect', () => process.exit(0));

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
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  eld.enable();
  const stopBurn = startTestBurn();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let finished: ReturnType<typeof runClients>;
  if (started) {
    started.release();
    finished = started.finished;
  } else {
    finished = runClients(run, controller.signal);
  }
  finished.then(
    ({ clients, histogram }) => {
      stopBurn();
      eld.disable();
      const toMs = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
      const eventLoopDelay: ResultMessage['eventLoopDelay'] = eld.count > 0 ? { p99Ms: toMs(eld.percentile(99)), maxMs: toMs(eld.max) } : null;
      send({ [BRAND]: true, type: 'result', runId: run.runId, clients, histogram, cpu: process.cpuUsage(cpu0), activeMs: performance.now() - t0, eventLoopDelay });
    },
    (err: Error) => {
      stopBurn();
      eld.disable();
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
