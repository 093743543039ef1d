import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

/**
 * Every process a test starts, and everything those start, carries a mark in its environment
 * (children inherit the environment, however they detach: fork, node:cluster, setsid). So a test can
 * find, by pid, whatever is left of what it started, even once it has been re-parented to init; and
 * whatever a test file started is killed when the file's process exits, so that no stray process can
 * outlive the file or hold its pipes.
 */

/** Name of the environment variable that marks the processes a test started. */
export const MARK_ENV = 'SOCKETLAB_TEST_MARK';

/** This test process's own mark: every process it starts through {@link markedEnv} carries it. */
export const FILE_MARK = `file-${process.pid}-${randomUUID()}`;

/** The environment for a process a test starts: the parent's, plus `mark` (default this file's). */
export function markedEnv(mark: string = FILE_MARK, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, [MARK_ENV]: mark };
}

/** A fresh mark, for one trial whose survivors must be told apart from the rest of the file's. */
export function newMark(): string {
  return `${FILE_MARK}-${randomUUID().slice(0, 8)}`;
}

/** Pids of live processes (not zombies) whose environment carries `mark` (a prefix match on FILE_MARK finds every trial's). */
export function markedPids(mark: string = FILE_MARK): number[] {
  const needle = `${MARK_ENV}=${mark}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!env.split('\0').some((kv) => kv.startsWith(needle))) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** SIGKILLs every live process that carries `mark`; returns their pids. */
export function killMarked(mark: string = FILE_MARK): number[] {
  const pids = markedPids(mark);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

/**
 * Stops reading a child's stdout and stderr once it has exited (after `graceMs` for the last bytes): a
 * process it started and left behind may hold the write ends of those pipes, which would keep this test
 * process alive forever.
 */
export function releaseStdioOnExit(proc: ChildProcess, graceMs = 500): void {
  proc.once('exit', () => {
    setTimeout(() => {
      proc.stdout?.destroy();
      proc.stderr?.destroy();
    }, graceMs).unref();
  });
}

// Whatever this file started and left running dies with it (the runner runs each file in a process of its own).
process.once('exit', () => void killMarked());
