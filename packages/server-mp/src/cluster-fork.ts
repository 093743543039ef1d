import cluster, { type ClusterSettings } from 'node:cluster';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '@socketlab/protocol';

/** Loads {@link file://./entry/prefork-child.ts}, built to dist/entry/prefork-child.cjs next to this bundle. */
export const PREFORK_ENTRY = new URL('./entry/prefork-child.cjs', import.meta.url);

/** The node:cluster policy each cluster mode needs. */
export const POLICY: Record<'rr' | 'os', number> = { rr: cluster.SCHED_RR, os: cluster.SCHED_NONE };
export const POLICY_NAME = (p: number) => (p === cluster.SCHED_RR ? 'round-robin ("rr")' : p === cluster.SCHED_NONE ? 'the operating system\'s ("os")' : String(p));

/**
 * node:cluster's scheduling policy belongs to the process, not to a server: it is read once, when the
 * first worker is forked (or setupPrimary() first runs), and fixed from then on. So the first prefork
 * server of a process (or anything else there that uses node:cluster first) decides it for every later
 * one. A later server asking for the other policy is refused, never silently given the wrong one.
 */
export function claimSchedulingPolicy(accept: 'rr' | 'os'): void {
  if (!cluster.isPrimary) {
    throw new InvalidOptionError(`accept "${accept}" needs this process to be a node:cluster primary, and it is a cluster worker; use accept "reuseport"`);
  }
  // setupPrimary() fills cluster.settings; before it, the policy can still be chosen.
  if (Object.keys(cluster.settings).length === 0) {
    cluster.schedulingPolicy = POLICY[accept];
    return;
  }
  if (cluster.schedulingPolicy !== POLICY[accept]) {
    throw new InvalidOptionError(
      `accept "${accept}" cannot be used in this process: node:cluster's scheduling policy is process-wide and was already fixed to ${POLICY_NAME(cluster.schedulingPolicy)} by an earlier fork; start each policy in a process of its own`,
    );
  }
}

const STDIO: ClusterSettings['stdio'] = ['ignore', 'inherit', 'inherit', 'ipc'];

/**
 * Forks a prefork child as a node:cluster worker. cluster.fork() takes its file, arguments and stdio
 * from cluster.settings, which are process-wide too: they are set for this one fork and put back at
 * once (synchronously, so nothing else can fork in between), so that an application that uses
 * node:cluster itself keeps its own settings.
 */
export function clusterFork(env: Record<string, string>): ChildProcess {
  const had = Object.keys(cluster.settings).length > 0;
  const saved: ClusterSettings = had
    ? { ...cluster.settings }
    : { exec: process.argv[1], args: process.argv.slice(2), execArgv: process.execArgv, silent: false, stdio: undefined, serialization: undefined };
  cluster.setupPrimary({ exec: fileURLToPath(PREFORK_ENTRY), args: [], execArgv: [], silent: false, stdio: STDIO, serialization: 'json' });
  try {
    return cluster.fork(env).process;
  } finally {
    cluster.setupPrimary({ exec: saved.exec, args: saved.args, execArgv: saved.execArgv, silent: saved.silent, stdio: saved.stdio, serialization: saved.serialization });
  }
}
