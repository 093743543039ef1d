import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { childEnv } from '@socketlab/protocol/server';
import { HAS_PROCFS } from '@socketlab/results';

/**
 * Nothing loadgen starts outlives it, even when it is SIGKILLed, and however a process detached.
 *
 * Every process loadgen starts (servers, foreign or its own, and client processes) carries a marker in
 * its environment, SOCKETLAB_RUN_TOKEN=<this loadgen's token>.<one per start>. The environment is
 * inherited across fork, exec, setsid and double forks, so a daemon a server spawned still carries it,
 * and `/proc/<pid>/environ` shows it: `markedPids` finds every such process.
 *
 * The watchdog is one `sh` per loadgen (about 1 MB), started detached (a session of its own: a Ctrl-C
 * at the terminal does not reach it) with a pipe from loadgen as its stdin. loadgen writes `g<pgid>`
 * for each process group it creates and `u<pgid>` when that group is gone. When the pipe reaches EOF —
 * loadgen exited, however it died, as the kernel closes its end — the watchdog sends SIGTERM to each
 * group still registered and to each process carrying loadgen's token (one `grep` over
 * /proc/[0-9]*\/environ), waits 1 s if it found any, then SIGKILLs what remains, and exits. After a
 * clean exit it finds nothing. Linux only (/proc); elsewhere nothing is marked or watched.
 */

export const RUN_TOKEN_ENV = 'SOCKETLAB_RUN_TOKEN';

/** This loadgen's token: the prefix of every marker it hands out. */
const LOADGEN_TOKEN = randomBytes(8).toString('hex');

const SCRIPT = `
prefix="$1"; groups=""
while read -r line; do
  case "$line" in
    g*) groups="$groups \${line#g}" ;;
    u*) kept=""; for g in $groups; do [ "$g" = "\${line#u}" ] || kept="$kept $g"; done; groups="$kept" ;;
  esac
done
marked() { grep -lzs "^${RUN_TOKEN_ENV}=$prefix\\." /proc/[0-9]*/environ | sed 's|/proc/\\([0-9]*\\)/environ|\\1|'; }
found=""
for g in $groups; do kill -TERM -- "-$g" 2>/dev/null && found=1; done
for p in $(marked); do kill -TERM "$p" 2>/dev/null && found=1; done
[ -n "$found" ] || exit 0
sleep 1
for g in $groups; do kill -KILL -- "-$g" 2>/dev/null; done
for p in $(marked); do kill -KILL "$p" 2>/dev/null; done
`;

let watchdog: ChildProcess | null = null;

/** Starts the watchdog once per loadgen (no-op without /proc); later calls return the same one. */
function ensureWatchdog(): ChildProcess | null {
  if (watchdog !== null || !HAS_PROCFS) return watchdog;
  watchdog = spawn('/bin/sh', ['-c', SCRIPT, 'socketlab-loadgen-watchdog', LOADGEN_TOKEN], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watchdog.on('error', () => {}); // no sh: the in-process stop still reaps; nothing else to do
  watchdog.stdin?.on('error', () => {});
  // Neither the process nor its pipe keeps loadgen's event loop alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

/** The watchdog's pid (null before it started, or without /proc). */
export function watchdogPid(): number | null {
  return watchdog?.pid ?? null;
}

/** An environment for a child loadgen starts: `childEnv()` (it watches loadgen) plus a fresh marker. */
export function markedEnv(base: NodeJS.ProcessEnv = process.env): { env: NodeJS.ProcessEnv; marker: string } {
  ensureWatchdog();
  const marker = `${LOADGEN_TOKEN}.${randomBytes(6).toString('hex')}`;
  return { env: { ...childEnv(base), [RUN_TOKEN_ENV]: marker }, marker };
}

/** Tells the watchdog of a process group loadgen created (`add`) or that is gone (`!add`). */
export function watchGroup(pgid: number, add: boolean): void {
  if (pgid > 0 && watchdog?.stdin?.writable) watchdog.stdin.write(`${add ? 'g' : 'u'}${pgid}\n`);
}

/** Live processes (not zombies) whose environment carries `marker`; [] without /proc. */
export function markedPids(marker: string): number[] {
  if (!HAS_PROCFS) return [];
  const needle = Buffer.from(`\0${RUN_TOKEN_ENV}=${marker}\0`);
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${name}/environ`)]);
      if (environ.indexOf(needle) === -1) continue;
      if (/\) Z /.test(readFileSync(`/proc/${name}/stat`, 'latin1'))) continue;
      out.push(Number(name));
    } catch {
      // gone, or another user's (its environment is not ours to read, nor is it ours)
    }
  }
  return out;
}
