import { startServer, type MpServerOptions } from '@socketlab/server-mp';

/**
 * The server-mp variants every shared suite runs: each strategy, the per-connection strategy with warm
 * one-shot spares and with recycled children (two kept idle, each serving clients one after the other), prefork with each way of accepting, and prefork without the crash answer's socket copy.
 *
 * `cluster` is the node:cluster scheduling policy a variant needs. That policy is process-wide and
 * fixed at a process's first fork (see the README, "prefork and node:cluster"), so one test process can
 * run the `rr` variants or the `os` one, never both: test files run the variants of one policy each
 * (`--test` runs every file in a process of its own).
 */
export const VARIANTS = [
  { name: 'mp-per-connection', strategy: 'per-connection', options: {}, args: [], cluster: null },
  { name: 'mp-per-connection-warm', strategy: 'per-connection', options: { minSpares: 2 }, args: ['--min-spares', '2'], cluster: null },
  // min = max: the idle count is the same after any client as before it (the suites' idle baseline).
  { name: 'mp-per-connection-recycled', strategy: 'per-connection', options: { minSpares: 2, maxSpares: 2, maxConnectionsPerWorker: 0 }, args: ['--min-spares', '2', '--max-spares', '2', '--max-connections-per-worker', '0'], cluster: null },
  { name: 'mp-pool', strategy: 'pool', options: {}, args: [], cluster: null },
  { name: 'mp-prefork-rr', strategy: 'prefork', options: { accept: 'rr' }, args: ['--accept', 'rr'], cluster: 'rr' },
  { name: 'mp-prefork-os', strategy: 'prefork', options: { accept: 'os' }, args: ['--accept', 'os'], cluster: 'os' },
  { name: 'mp-prefork-reuseport', strategy: 'prefork', options: { accept: 'reuseport' }, args: ['--accept', 'reuseport'], cluster: null },
  // crashAnswer off: no socket copy in the parent, so no WORKER_CRASHED (prefork.test.ts checks what its clients see instead).
  { name: 'mp-prefork-rr-no-crash-answer', strategy: 'prefork', options: { accept: 'rr', crashAnswer: 'off' }, args: ['--accept', 'rr', '--crash-answer', 'off'], cluster: 'rr' },
] as const satisfies readonly { name: string; strategy: 'per-connection' | 'pool' | 'prefork'; options: MpServerOptions; args: readonly string[]; cluster: 'rr' | 'os' | null }[];

export type MpVariant = (typeof VARIANTS)[number];

/** The variants a test process whose node:cluster policy is `policy` can run (the rr ones also take every variant without cluster). */
export function variantsFor(policy: 'rr' | 'os'): MpVariant[] {
  return VARIANTS.filter((v) => (policy === 'os' ? v.cluster === 'os' : v.cluster !== 'os'));
}

export function starter(v: MpVariant) {
  return (options: Record<string, unknown>) => startServer({ ...v.options, ...options, strategy: v.strategy } as MpServerOptions);
}
