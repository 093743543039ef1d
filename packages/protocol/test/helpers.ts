import net from 'node:net';
import { executeTask, resolveLimits, type Limits } from '../src/index.ts';
import { ProtocolConnection } from '../src/server/index.ts';

/** A minimal in-process server on 127.0.0.1:0 built from the shared machinery (tests only). */
export async function startTestServer(limits?: Partial<Limits>, idleTimeoutMs = 0) {
  const resolved = resolveLimits(limits);
  const counters = { tasks: 0, errors: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new ProtocolConnection(socket, {
      limits: resolved,
      idleTimeoutMs,
      counters,
      run: (task) => executeTask(task, { design: 'test', strategy: 'inline' }),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    counters,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends raw bytes and collects everything the server sends until it closes (or `ms` passes). */
export function rawExchange(port: number, chunks: (Buffer | string)[], ms = 3000): Promise<{ data: Buffer; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const parts: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => parts.push(d));
    socket.on('end', () => {
      closedByServer = true;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(parts), closedByServer });
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        socket.write(c);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}
