import { socketTransferSupported } from '@socketlab/protocol';
import { startServer, type MtServerOptions } from '@socketlab/server-mt';

/**
 * The server-mt variants every shared suite runs: each strategy, the per-connection strategy with the
 * main thread doing the socket I/O (the only path on a Node that cannot transfer sockets, so it stays
 * tested on lines that can), warm one-shot spares, and recycled threads (two kept idle, each serving
 * clients one after the other; min = max, so the idle count after any client is the suites' baseline),
 * owning their sockets or with main-thread I/O.
 */
export const VARIANTS = [
  { name: 'mt-per-connection', strategy: 'per-connection', options: {}, args: [] },
  { name: 'mt-per-connection-main-io', strategy: 'per-connection', options: { socketIo: 'main' }, args: ['--socket-io', 'main'] },
  { name: 'mt-per-connection-warm', strategy: 'per-connection', options: { minSpares: 2 }, args: ['--min-spares', '2'] },
  { name: 'mt-per-connection-recycled', strategy: 'per-connection', options: { minSpares: 2, maxSpares: 2, maxConnectionsPerWorker: 0 }, args: ['--min-spares', '2', '--max-spares', '2', '--max-connections-per-worker', '0'] },
  {
    name: 'mt-per-connection-recycled-main-io',
    strategy: 'per-connection',
    options: { minSpares: 2, maxSpares: 2, maxConnectionsPerWorker: 0, socketIo: 'main' },
    args: ['--min-spares', '2', '--max-spares', '2', '--max-connections-per-worker', '0', '--socket-io', 'main'],
  },
  { name: 'mt-pool', strategy: 'pool', options: {}, args: [] },
] as const satisfies readonly { name: string; strategy: 'per-connection' | 'pool'; options: MtServerOptions; args: readonly string[] }[];

export type MtVariant = (typeof VARIANTS)[number];

export function starter(v: MtVariant) {
  return (options: Record<string, unknown>) => startServer({ ...v.options, ...options, strategy: v.strategy });
}

/** Whether the variant's threads own their clients' sockets on this Node. */
export function ownsSocket(v: MtVariant): boolean {
  return v.strategy === 'per-connection' && !('socketIo' in v.options && v.options.socketIo === 'main') && socketTransferSupported();
}
