import { ShuttingDownError } from '../errors.ts';
import { executeTask, type ExecutionContext, type Task } from '../tasks.ts';
import type { TaskRunner } from './connection-options.ts';
import { occupiesThread } from './executors.ts';

/**
 * Runs tasks on this thread, the way a design without workers does (the single-process server, a child
 * process or thread that owns its client's socket). Tasks that return at once run at once. A task that
 * holds the thread (SLEEP, FIB, HASH, a long UPPER or REVERSE: occupiesThread) starts on a turn of the
 * event loop of its own, one such task per turn, in arrival order:
 * - so that between two of them libuv polls once more, and a shutdown signal or a parent's `drain`
 *   message that arrived meanwhile is seen before the next one starts: with `stopped()` true a task that
 *   has not started is not started (SOCKETLAB_ERR_SHUTTING_DOWN). Without this, the requests of every
 *   client read in one poll phase would all run, back to back, before the shutdown could be seen.
 * - so that reading clients and timers are not starved between two such tasks.
 * The cost is one setImmediate per such task, next to work of a millisecond or more.
 */
export function inlineRunner(context: ExecutionContext, stopped: () => boolean = () => false): TaskRunner {
  const queue: (() => void)[] = [];
  let scheduled = false;
  const next = (): void => {
    scheduled = false;
    queue.shift()?.();
    if (queue.length > 0) schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(next);
  };
  return (task: Task) => {
    if (!occupiesThread(task)) return executeTask(task, context);
    return new Promise((resolve, reject) => {
      queue.push(() => {
        if (stopped()) return reject(new ShuttingDownError('server is shutting down; request not started'));
        try {
          resolve(executeTask(task, context));
        } catch (err) {
          reject(err as Error);
        }
      });
      schedule();
    });
  };
}
