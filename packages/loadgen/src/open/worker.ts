import { measureActivity } from '../activity.ts';
import { BRAND, type FromWorker, type ToWorker } from '../messages.ts';
import { OpenShareRunner } from './open-client.ts';

/**
 * The open model's side of a client process (entry/client-worker.ts hands every message here first).
 * `open-prepare` → connect this process's connections → `ready`; `go` for that run → pace, drain, EXIT
 * → `open-result`; `abort` for that run → stop now and report what was counted.
 */
export function createOpenWorker(send: (msg: FromWorker) => void): { handle(msg: ToWorker): boolean } {
  let runner: OpenShareRunner | null = null;
  let runId: number | null = null;
  let controller = new AbortController();
  const fail = (message: string) => send({ [BRAND]: true, type: 'failed', error: { code: 'SOCKETLAB_ERR_LOADGEN_WORKER', message } });
  return {
    /** True when the message belonged to an open-model run (the closed model's dispatch then skips it). */
    handle(msg: ToWorker): boolean {
      switch (msg.type) {
        case 'open-prepare': {
          runner?.destroy();
          const r = new OpenShareRunner(msg);
          runner = r;
          runId = msg.runId;
          controller = new AbortController();
          r.connect().then(
            () => send({ [BRAND]: true, type: 'ready', runId: msg.runId }),
            (err: Error) => fail(err.message),
          );
          return true;
        }
        case 'go': {
          if (runId !== msg.runId || runner === null) return false;
          const r = runner;
          const id = runId;
          runner = null;
          const stop = measureActivity();
          r.run(controller.signal).then(
            (report) => send({ [BRAND]: true, type: 'open-result', runId: id, report, ...stop() }),
            (err: Error) => {
              stop();
              fail(err.message);
            },
          );
          return true;
        }
        case 'abort':
          if (runId !== msg.runId) return false;
          controller.abort();
          return true;
        default:
          return false;
      }
    },
  };
}
