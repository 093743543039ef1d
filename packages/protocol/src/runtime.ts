import net from 'node:net';
import { MessageChannel, type TransferListItem } from 'node:worker_threads';

/**
 * What the running Node.js can do, for the features the designs care about. This is the one place that
 * says so: designs branch on it, loadgen records it in every results file, the report prints it.
 *
 * Every feature is *probed*, never inferred from the version number: a backport, a build flag or a
 * platform can make the version lie.
 */
export interface RuntimeFeatures {
  /** `process.version`, e.g. `v24.22.3`. */
  node: string;
  /**
   * `net.Server.listen({ reusePort: true })` really shares a port (SO_REUSEPORT, Node 22.12+ / 23.1+ on
   * Linux). Older lines accept the option and silently ignore it, so the probe binds twice.
   */
  reusePort: boolean;
  /**
   * An accepted `net.Socket` can be moved into a worker thread with `postMessage(…, [socket])`
   * (Node 24+). Without it, a worker thread cannot own a client's socket: the main thread must do the I/O.
   */
  socketTransfer: boolean;
}

let transferMemo: boolean | undefined;

/**
 * Synchronous probe: offer a fresh, unconnected socket for transfer on a throwaway channel. A Node that
 * can transfer sockets refuses *this* one for its state (`ERR_WORKER_HANDLE_NOT_TRANSFERABLE`); one that
 * cannot refuses the type (`ERR_INVALID_TRANSFER_OBJECT`, or DataCloneError code 25 on Node 22).
 */
export function socketTransferSupported(): boolean {
  if (transferMemo !== undefined) return transferMemo;
  const { port1, port2 } = new MessageChannel();
  const socket = new net.Socket();
  try {
    port1.postMessage({ socket }, [socket as unknown as TransferListItem]);
    transferMemo = true;
  } catch (err) {
    transferMemo = (err as { code?: unknown }).code === 'ERR_WORKER_HANDLE_NOT_TRANSFERABLE';
  } finally {
    port1.close();
    port2.close();
    socket.destroy();
  }
  return transferMemo;
}

let reusePortMemo: Promise<boolean> | undefined;

/** Asynchronous probe: two listeners with `reusePort` on one loopback port; true if both bind. */
export function reusePortSupported(): Promise<boolean> {
  reusePortMemo ??= new Promise<boolean>((resolve) => {
    const first = net.createServer();
    first.once('error', () => resolve(false));
    first.listen({ host: '127.0.0.1', port: 0, reusePort: true } as net.ListenOptions, () => {
      const { port } = first.address() as net.AddressInfo;
      const second = net.createServer();
      const done = (ok: boolean): void => {
        second.close();
        first.close();
        resolve(ok);
      };
      second.once('error', () => done(false));
      second.listen({ host: '127.0.0.1', port, reusePort: true } as net.ListenOptions, () => done(true));
    });
  });
  return reusePortMemo;
}

/** Probes every feature once per process (memoized). */
export async function detectRuntime(): Promise<RuntimeFeatures> {
  return { node: process.version, reusePort: await reusePortSupported(), socketTransfer: socketTransferSupported() };
}
