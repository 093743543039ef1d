import { socketTransferSupported } from '@socketlab/protocol';
import { startServer, type MtServerOptions } from '@socketlab/server-mt';

/**
 * The server-mt variants every shared suite runs: each strategy, the per-connection strategy with the
 * main thread doing the socket I/O (the only path on a Node that cannot transfer sockets, so it stays
 * tested on lines that can), and warm spares.
 */
export const VARIANTS = [
  { name: 'mt-per-connection', strategy: 'per-connection', options: {}, args: [] },
  { name: 'mt-per-connection-main-io', strategy: 'per-connection', options: { socketIo: 'main' }, args: ['--socket-io', 'main'] },
  { name: 'mt-per-connection-warm', strategy: 'per-connection', options: { spares: 2 }, args: ['--spares', '2'] },
  { name: 'mt-pool', strategy: 'pool', options: {}, args: [] },
] as const satisfies readonly { name: string; strategy: 'per-connection' | 'pool'; options: MtServerOptions; args: readonly string[] }[];

export function starter(v: (typeof VARIANTS)[number]) {
  return (options: Record<string, unknown>) => startServer({ ...v.options, ...options, strategy: v.strategy });
}

/** Whether the variant's threads own their clients' sockets on this Node. */
export function ownsSocket(v: (typeof VARIANTS)[number]): boolean {
  return v.strategy === 'per-connection' && !('socketIo' in v.options && v.options.socketIo === 'main') && socketTransferSupported();
}
