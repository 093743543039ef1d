import { startServer, type MpServerOptions } from '@socketlab/server-mp';

/** The server-mp variants every shared suite runs: each strategy, and the per-connection strategy with warm spares. */
export const VARIANTS = [
  { name: 'mp-per-connection', strategy: 'per-connection', options: {}, args: [] },
  { name: 'mp-per-connection-warm', strategy: 'per-connection', options: { spares: 2 }, args: ['--spares', '2'] },
  { name: 'mp-pool', strategy: 'pool', options: {}, args: [] },
] as const satisfies readonly { name: string; strategy: 'per-connection' | 'pool'; options: MpServerOptions; args: readonly string[] }[];

export function starter(v: (typeof VARIANTS)[number]) {
  return (options: Record<string, unknown>) => startServer({ ...v.options, ...options, strategy: v.strategy });
}
