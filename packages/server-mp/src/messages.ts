import type { HostConfig } from '@socketlab/protocol/server';

/**
 * Messages between the parent and a child process: one tagged union, declared once. The socket itself
 * travels as the IPC handle of a `connection` message (SCM_RIGHTS under the hood).
 */
export type ToChild =
  // `head`: bytes the parent read ahead while the client waited for a process (base64), served first.
  | { __socketlab__: true; type: 'connection'; id: number; head?: string }
  | { __socketlab__: true; type: 'drain' };

export type FromChild =
  | { __socketlab__: true; type: 'ready' }
  | { __socketlab__: true; type: 'closed'; id: number; tasks: number; errors: number };

/** Passed to the child as its one argv entry (JSON). */
export interface ChildConfig extends HostConfig {
  strategy: 'per-connection' | 'pool';
}

// The one message brand (`__socketlab__`), declared once in @socketlab/protocol.
export { isBranded } from '@socketlab/protocol';
