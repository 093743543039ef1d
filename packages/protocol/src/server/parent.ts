/**
 * No process outlives its parent. A child that socketlab starts (a server-mp worker or prefork child,
 * a loadgen client process, a server loadgen starts) calls {@link watchParent} as its first statement.
 *
 * Three watches, because no single one covers every moment of the parent's death:
 * - an IPC child whose channel is already closed when it starts (`process.connected` false) goes at once;
 * - the IPC channel's `disconnect` event, the usual and fastest signal;
 * - a last resort that needs no event: the parent pid is polled (`process.ppid` is read afresh each
 *   time), so a child whose parent died before the `disconnect` handler was registered, or whose channel
 *   closed without the event reaching it, or that has no channel at all, still sees itself re-parented
 *   (to init or a subreaper) within one interval; and between the slices of a SLEEP, which blocks the
 *   event loop (onSleepSlice). A FIB or HASH still runs to its end first (up to several seconds at
 *   the default limits).
 * The parent may name itself in the environment ({@link PARENT_PID_ENV}); then a child that starts
 * after its parent already died is caught too (its `process.ppid` is already the new parent's).
 */

import { onSleepSlice } from '../tasks.ts';

/** Environment variable a parent sets to its own pid for the children it starts (see watchParent). */
export const PARENT_PID_ENV = 'SOCKETLAB_PARENT_PID';

/** How often the last-resort watch reads the parent pid, in ms: a child goes within this of its parent's death. */
export const PARENT_POLL_MS = 250;

export interface ParentWatchOptions {
  /** The parent's pid; default: `SOCKETLAB_PARENT_PID` from the environment, else `process.ppid` now. */
  pid?: number;
  /** Poll interval of the last-resort watch, in ms. Default {@link PARENT_POLL_MS}. */
  intervalMs?: number;
}

export interface ParentWatch {
  /** The pid being watched. */
  readonly parent: number;
  /** Stops watching (for a process that is leaving on its own terms). */
  stop(): void;
}

/** The parent pid this process was started by, as its parent declared it (or null). */
export function declaredParentPid(env: NodeJS.ProcessEnv = process.env): number | null {
  const value = Number(env[PARENT_PID_ENV]);
  return Number.isInteger(value) && value > 0 ? value : null;
}

/**
 * Calls `onGone` once, as soon as this process's parent is gone, whichever watch sees it first (see the
 * module comment). `onGone` runs synchronously if the parent is already gone. The poll timer is unref'd:
 * it never keeps a process alive on its own.
 */
export function watchParent(onGone: () => void, options: ParentWatchOptions = {}): ParentWatch {
  const parent = options.pid ?? declaredParentPid() ?? process.ppid;
  // Meant for this process only: its own children are told of it, not of their grandparent (childEnv).
  delete process.env[PARENT_PID_ENV];
  let done = false;
  let timer: NodeJS.Timeout | null = null;
  const stop = (): void => {
    done = true;
    if (timer) clearInterval(timer);
    timer = null;
    process.off('disconnect', gone);
    onSleepSlice(null);
  };
  function gone(): void {
    if (done) return;
    stop();
    onGone();
  }
  const watch: ParentWatch = { parent, stop };
  process.once('disconnect', gone);
  if (process.ppid !== parent || (process.send !== undefined && !process.connected)) {
    gone();
    return watch;
  }
  const check = (): void => {
    if (process.ppid !== parent) gone();
  };
  timer = setInterval(check, options.intervalMs ?? PARENT_POLL_MS);
  timer.unref();
  // A SLEEP blocks the event loop, and with it the timer above: it checks between its slices too.
  onSleepSlice(check);
  return watch;
}

/** The environment for a child that should watch this process (see watchParent): `env` plus our pid. */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, [PARENT_PID_ENV]: String(process.pid) };
}
