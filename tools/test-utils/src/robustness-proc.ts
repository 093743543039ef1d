import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { waitFor } from './helpers.ts';

/**
 * Resource counts of a server read from Linux /proc, so that tests can assert that what a client did
 * left nothing behind: counts back to their idle baseline, not timings.
 */

/** Open file descriptors of `pid` (0 if it is gone). */
export function fdCount(pid: number | 'self' = 'self'): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Threads of `pid` (/proc/<pid>/status `Threads:`; 0 if it is gone). */
export function threadCount(pid: number | 'self' = 'self'): number {
  return statusField(pid, 'Threads');
}

/** Resident set size of `pid`, in bytes (0 if it is gone). */
export function rssBytes(pid: number | 'self' = 'self'): number {
  return statusField(pid, 'VmRSS') * 1024; // the field is in kB
}

function statusField(pid: number | 'self', field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Parent pid of every process, from /proc/<pid>/stat (field 4, after the parenthesised name). */
function parentPids(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  return children;
}

const NODE = realpathSync(process.execPath);

function isNode(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === NODE;
  } catch {
    return false;
  }
}

/**
 * Node processes below `root` (children, grandchildren...): a server's worker processes. Other
 * programs are left out (tsx keeps an esbuild service process under the test process).
 */
export function nodeDescendants(root: number = process.pid): number[] {
  const children = parentPids();
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const pid of children.get(stack.pop()!) ?? []) {
      if (!isNode(pid)) continue;
      out.push(pid);
      stack.push(pid);
    }
  }
  return out;
}

/** RSS of `root` and its Node descendants, in bytes. Reads nothing else, so that sampling it often leaves little garbage in an in-process server's heap. */
export function treeRss(root: number = process.pid): number {
  return [root, ...nodeDescendants(root)].reduce((sum, pid) => sum + rssBytes(pid), 0);
}

/** The TCP sockets bound to local `port` that are not listening (IPv4 and IPv6 tables): inode → the peer's port. */
function connectionInodes(port: number): Map<string, number> {
  const inodes = new Map<string, number>();
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address, f[2] remote address, f[3] state (0A = LISTEN), f[9] inode (0 for sockets no process holds)
      if (f.length < 10 || !f[1]!.endsWith(hexPort) || f[3] === '0A' || f[9] === '0') continue;
      inodes.set(f[9]!, parseInt(f[2]!.slice(f[2]!.lastIndexOf(':') + 1), 16));
    }
  }
  return inodes;
}

/** Adds to `peers` the peer port of each of `pid`'s fds that is one of these sockets. */
function addPeers(pid: number, inodes: Map<string, number>, peers: Set<number>): void {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      const peer = m ? inodes.get(m[1]!) : undefined;
      if (peer !== undefined) peers.add(peer);
    } catch {
      // closed meanwhile
    }
  }
}

/**
 * The client ports of the connections that the server on `port` (process `root` and its Node
 * descendants) holds open. A connection counts once, however many processes hold a copy of it.
 */
export function heldPeers(port: number, root: number = process.pid): Set<number> {
  const inodes = connectionInodes(port);
  const peers = new Set<number>();
  for (const pid of [root, ...nodeDescendants(root)]) addPeers(pid, inodes, peers);
  return peers;
}

/** What a server process tree holds now. */
export interface ProcCounts {
  /** Open fds of the root and its Node descendants. */
  fds: number;
  /** Threads of the root process. */
  threads: number;
  /** Node processes below the root (worker processes). */
  children: number;
  /** Connections the tree holds open: its own end of each (the listener excluded), counted once however many processes hold a copy. */
  sockets: number;
  /** RSS of the root and its Node descendants, in bytes. */
  rss: number;
}

/** Counts for the server listening on `port` whose process is `root` (by default this one, for in-process servers). */
export function procCounts(port: number, root: number = process.pid): ProcCounts {
  const pids = [root, ...nodeDescendants(root)];
  const inodes = connectionInodes(port);
  const peers = new Set<number>();
  let fds = 0;
  let rss = 0;
  for (const pid of pids) {
    fds += fdCount(pid);
    rss += rssBytes(pid);
    addPeers(pid, inodes, peers);
  }
  return { fds, threads: threadCount(root), children: pids.length - 1, sockets: peers.size, rss };
}

/** fds that may come and go on their own (a timer's or the inspector's, a DNS lookup's) without being a leak. */
export const FD_SLACK = 2;

/** Null if `now` is back to `base` (no connection socket, no extra process or thread, fds within FD_SLACK), else what differs. */
export function differsFromBaseline(now: ProcCounts, base: ProcCounts): string | null {
  const diffs: string[] = [];
  if (now.sockets > base.sockets) diffs.push(`sockets ${now.sockets} (baseline ${base.sockets})`);
  if (now.fds > base.fds + FD_SLACK) diffs.push(`fds ${now.fds} (baseline ${base.fds})`);
  if (now.threads > base.threads) diffs.push(`threads ${now.threads} (baseline ${base.threads})`);
  if (now.children !== base.children) diffs.push(`child processes ${now.children} (baseline ${base.children})`);
  return diffs.length ? diffs.join(', ') : null;
}

/** Polls until the counts are back to `base` (see differsFromBaseline) or `ms` passes; returns the last counts and any difference. */
export async function waitForBaseline(port: number, base: ProcCounts, ms = 10_000, root: number = process.pid): Promise<{ now: ProcCounts; diff: string | null }> {
  let now = procCounts(port, root);
  await waitFor(() => differsFromBaseline((now = procCounts(port, root)), base) === null, ms);
  return { now, diff: differsFromBaseline(now, base) };
}

/** One line for a report: `fds 41, threads 12, child processes 0, sockets 0, RSS 80.1 MiB`. */
export function describeCounts(c: ProcCounts): string {
  return `fds ${c.fds}, threads ${c.threads}, child processes ${c.children}, sockets ${c.sockets}, RSS ${(c.rss / 2 ** 20).toFixed(1)} MiB`;
}
