import net from 'node:net';
import { processCpuMs } from '@socketlab/results';
import { connect } from '@socketlab/protocol';

/** Sends raw chunks (one per event-loop turn) and collects all the server sends until it closes. */
export function rawExchange(port: number, chunks: (Buffer | string)[], ms = 5000): Promise<{ data: Buffer; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const parts: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => parts.push(d));
    socket.on('end', () => {
      closedByServer = true;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(parts), closedByServer });
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) break;
        socket.write(c);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

/** Polls `check` every 20 ms until it is true or `ms` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU time of a process so far, in ms (Linux /proc, read with the machine's clock tick). */
export function procCpuMs(pid: number): number {
  const ms = processCpuMs(pid);
  if (ms === null) throw new Error(`no /proc/${pid}/stat: the process is gone, or this is not Linux`);
  return ms;
}

/**
 * Order-based overlap probe. Client A sends `long`; once A's request has had time to start, client B
 * sends `short`. If the two ran at the same time B is answered first; if the server ran them one
 * after the other, A is. Returns which reply came first. No timing is asserted, only order.
 */
export async function whoFinishesFirst(port: number, long: string, short: string): Promise<'A' | 'B'> {
  const [a, b] = await Promise.all([connect({ port }), connect({ port })]);
  const order: string[] = [];
  const pa = a.request(long).then(() => order.push('A'));
  await new Promise((r) => setTimeout(r, 80));
  const pb = b.request(short).then(() => order.push('B'));
  await Promise.all([pa, pb]);
  await Promise.all([a.exit(), b.exit()]);
  return order[0] as 'A' | 'B';
}
