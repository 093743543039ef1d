import type { Limits } from '@socketlab/protocol';
import type { LogFormat } from '@socketlab/protocol/server';

/**
 * Messages between the parent and a child process: one tagged union, declared once. The socket itself
 * travels as the IPC handle of a `connection` message (SCM_RIGHTS under the hood).
 */
export type ToChild =
  // `head`: bytes the parent read ahead while the client waited for a process (base64), served first.
  | { __socketlab: true; type: 'connection'; id: number; head?: string }
  | { __socketlab: true; type: 'drain' };

export type FromChild =
  | { __socketlab: true; type: 'ready' }
  | { __socketlab: true; type: 'closed'; id: number; tasks: number; errors: number };

/** Passed to the child as its one argv entry (JSON). */
export interface ChildConfig {
  strategy: 'per-connection' | 'pool';
  limits: Limits;
  idleTimeoutMs: number;
  lingerMs: number;
  log: LogFormat;
  quiet: boolean;
}

export function isSocketlabMessage(msg: unknown): msg is { __socketlab: true; type: string } {
  return typeof msg === 'object' && msg !== null && (msg as { __socketlab?: unknown }).__socketlab === true;
}
