import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

/** Ports of the servers loadgen starts: is one free, does it accept, and whose is its listener. */

/**
 * Is nothing listening on host:port? True if a connection is refused and the port can be bound
 * again; false if either fails.
 */
export async function portIsFree(host: string, port: number): Promise<boolean> {
  if (await accepts(host, port, true)) return false;
  return new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** True if host:port accepts a TCP connection (closed at once: a readiness probe, not a client). `refusedOnly`: only ECONNREFUSED counts as not accepting. */
export function accepts(host: string, port: number, refusedOnly = false): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(refusedOnly ? err.code !== 'ECONNREFUSED' : false));
  });
}

/** A port that is free on `host` now (the kernel's pick for port 0). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Inodes of the listening TCP sockets (IPv4 and IPv6) on `port`, from /proc/net/tcp{,6}. */
function listenerInodes(port: number): Set<string> {
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st … inode: state 0A is LISTEN.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) out.add(f[9]!);
    }
  }
  return out;
}

/**
 * Does one of `pids` hold the socket listening on `port`? True or false when /proc says; null when it
 * cannot (no listener in this network namespace's tables: a server in a container, say).
 */
export function listenerHeldBy(port: number, pids: Iterable<number>): boolean | null {
  const inodes = listenerInodes(port);
  if (inodes.size === 0) return null;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}
