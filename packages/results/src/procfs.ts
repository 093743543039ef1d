import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/**
 * Linux /proc readers for a server's process tree: the one reader loadgen (the results' server fields),
 * tools/bench and the servers' tests use. Everything returns null (or empty) where /proc is
 * missing or a process vanished between two reads: a process tree changes while we look at it.
 */

/** True where /proc/<pid>/stat exists (Linux). Elsewhere server CPU and memory fields are null. */
export const HAS_PROCFS = existsSync('/proc/self/stat');

function getconf(name: string, fallback: number): number {
  try {
    const n = Number(execFileSync('getconf', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}

let ticks: number | undefined;
let page: number | undefined;
/** USER_HZ, the unit of the CPU times in /proc/<pid>/stat (100 on Linux). */
export function clockTicksPerSecond(): number {
  return (ticks ??= getconf('CLK_TCK', 100));
}
/** Memory page size, bytes. */
export function pageSizeBytes(): number {
  return (page ??= getconf('PAGESIZE', 4096));
}

export interface ProcStat {
  pid: number;
  ppid: number;
  /** Process group: loadgen starts each server in a group of its own, which its children inherit. */
  pgrp: number;
  state: string;
  /** CPU times in clock ticks: user, system, and of reaped children (user, system). */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  threads: number;
  /** Start time after boot, in clock ticks: with the pid, identifies a process across pid reuse. */
  starttime: number;
  /** Resident set size, bytes (from the page count in stat). */
  rssBytes: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Parses /proc/<pid>/stat. The command name may hold spaces and parentheses: split after the last ')'. */
export function parseProcStat(pid: number, text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state) of proc(5); field k is f[k - 3].
  const num = (k: number) => Number(f[k - 3]);
  return {
    pid,
    state: f[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    utime: num(14),
    stime: num(15),
    cutime: num(16),
    cstime: num(17),
    threads: num(20),
    starttime: num(22),
    rssBytes: num(24) * pageSizeBytes(),
  };
}

export function readProcStat(pid: number): ProcStat | null {
  const text = read(`/proc/${pid}/stat`);
  return text === null ? null : parseProcStat(pid, text);
}

/** VmRSS and VmHWM (bytes) and Threads from /proc/<pid>/status. */
export function readProcStatus(pid: number): { rssBytes: number; hwmBytes: number; threads: number } | null {
  const text = read(`/proc/${pid}/status`);
  if (text === null) return null;
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  const t = /^Threads:\s+(\d+)/m.exec(text);
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM'), threads: t ? Number(t[1]) : 0 };
}

/**
 * Direct children of `pid`, from /proc/<pid>/task/<pid>/children (the main thread's children: Node
 * spawns child processes from its event-loop thread). Falls back to a scan of /proc if the file is missing.
 */
export function childPids(pid: number): number[] {
  const text = read(`/proc/${pid}/task/${pid}/children`);
  if (text !== null) return text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number);
  return allStats().filter((s) => s.ppid === pid).map((s) => s.pid);
}

/** The tree rooted at `root` (root first), following children files. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...childPids(pid));
  }
  return out;
}

/** Every process's stat (a full /proc scan: costly, used only for leftover checks). */
export function allStats(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** True if `pid` exists, is not a zombie, and (if given) still has the same start time (no pid reuse). */
export function isAlive(pid: number, starttime?: number): boolean {
  const s = readProcStat(pid);
  if (!s || s.state === 'Z' || s.state === 'X') return false;
  return starttime === undefined || s.starttime === starttime;
}

/** One sample of a process tree. CPU in clock ticks, memory in bytes. */
export interface TreeSample {
  /** pid → start time, for every process seen. */
  processes: Map<number, number>;
  userTicks: number;
  systemTicks: number;
  rssBytes: number;
  threads: number;
}

/**
 * Samples the tree under `root`: CPU is utime + cutime (user) and stime + cstime (system) of each live
 * process, so children that exited and were reaped still count (in their parent's cutime/cstime).
 */
export function sampleTree(root: number): TreeSample | null {
  if (!HAS_PROCFS) return null;
  const sample: TreeSample = { processes: new Map(), userTicks: 0, systemTicks: 0, rssBytes: 0, threads: 0 };
  for (const pid of processTree(root)) {
    const s = readProcStat(pid);
    if (!s) continue; // exited in between
    sample.processes.set(pid, s.starttime);
    sample.userTicks += s.utime + s.cutime;
    sample.systemTicks += s.stime + s.cstime;
    if (s.state === 'Z') continue; // a zombie holds no memory
    const st = readProcStatus(pid);
    sample.rssBytes += st ? st.rssBytes : s.rssBytes;
    sample.threads += st ? st.threads : s.threads;
  }
  return sample.processes.size === 0 ? null : sample;
}

/** Soft and hard "Max open files" from /proc/self/limits (null = unlimited), or null if unreadable. */
export function openFileLimit(): { soft: number | null; hard: number | null } | null {
  const text = read('/proc/self/limits');
  const m = text && /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return null;
  const v = (s: string | undefined) => (s === undefined || s === 'unlimited' ? null : Number(s));
  return { soft: v(m[1]), hard: v(m[2]) };
}

/**
 * /proc/sys/net/ipv4/ip_local_port_range: the ephemeral ports the kernel gives outgoing connections, one
 * set per source address (`high - low + 1` connections at most from one address to one server); null if
 * unreadable.
 */
export function localPortRange(): { low: number; high: number } | null {
  const m = /^(\d+)\s+(\d+)/.exec(read('/proc/sys/net/ipv4/ip_local_port_range') ?? '');
  return m ? { low: Number(m[1]), high: Number(m[2]) } : null;
}

/** /proc/sys/net/core/somaxconn, or null. */
export function somaxconn(): number | null {
  const text = read('/proc/sys/net/core/somaxconn');
  const n = text === null ? NaN : Number(text.trim());
  return Number.isInteger(n) ? n : null;
}

/** Clock ticks (the unit of /proc CPU times) to ms, with the machine's real USER_HZ. */
export function ticksToMs(ticks: number): number {
  return (ticks * 1000) / clockTicksPerSecond();
}

/** CPU time one process has used so far (user + system, its own, not its children's), in ms; null if it is gone. */
export function processCpuMs(pid: number): number | null {
  const s = readProcStat(pid);
  return s === null ? null : ticksToMs(s.utime + s.stime);
}

/** The machine's CPU time so far, from the `cpu` line of /proc/stat, in clock ticks (all CPUs summed). */
export interface MachineCpu {
  /** Time spent running anything: user, nice, system, irq, softirq and steal (another VM's use of our CPUs). */
  busyTicks: number;
  /** busyTicks plus idle and iowait: the machine's capacity over the same time. */
  totalTicks: number;
}

/** Parses the aggregate `cpu` line of /proc/stat (proc(5)); guest time is already inside user. */
export function parseMachineCpu(text: string): MachineCpu | null {
  const line = /^cpu\s+([0-9 ]+)$/m.exec(text);
  if (!line) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line[1]!.trim().split(/\s+/).map(Number);
  const busyTicks = user + nice + system + irq + softirq + steal;
  return { busyTicks, totalTicks: busyTicks + idle + iowait };
}

/** /proc/stat's machine-wide CPU time, or null without /proc. */
export function readMachineCpu(): MachineCpu | null {
  const text = read('/proc/stat');
  return text === null ? null : parseMachineCpu(text);
}

/**
 * CPU used so far by the process tree under `root` (user + system, reaped children included through
 * cutime/cstime), in clock ticks; 0 if the tree is gone. Cheaper than sampleTree: no /proc/<pid>/status.
 */
export function treeCpuTicks(root: number): number {
  return treesCpuTicks([root]).values().next().value ?? 0;
}

/**
 * CPU used so far by several process trees (as treeCpuTicks), by root: `<pid>:<start time>` of each root
 * that exists → its tree's ticks. Each process counts once, in the first tree (in `roots` order) that
 * holds it, so trees that overlap (a root inside another's tree, or given twice) are not counted twice.
 * A root that is gone is absent; the start time in the key tells a recycled pid from the process that
 * had it, so comparing two calls key by key (the difference per key present in both) counts only the
 * trees that lived through both.
 */
export function treesCpuTicks(roots: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  const counted = new Set<number>();
  for (const root of roots) {
    const r = readProcStat(root);
    if (!r) continue;
    const key = `${root}:${r.starttime}`;
    let ticks = 0;
    for (const pid of processTree(root)) {
      if (counted.has(pid)) continue;
      counted.add(pid);
      const s = pid === root ? r : readProcStat(pid);
      if (s) ticks += s.utime + s.stime + s.cutime + s.cstime;
    }
    out.set(key, (out.get(key) ?? 0) + ticks);
  }
  return out;
}
