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
  /**
   * Strategy `per-connection`: connections it serves, one after the other, before it exits by itself
   * (the option maxConnectionsPerWorker; 0 = no limit, the parent retires it). 1: the lesson's child,
   * which exits when its one client leaves.
   */
  maxConnections: number;
}

// The one message brand (`__socketlab__`), declared once in @socketlab/protocol.
export { isBranded } from '@socketlab/protocol';

/**
 * The signal a ready child process (entry/child.ts) takes as `drain`, sent with the message: it is not
 * queued behind the sockets still being handed to the child (see the entry). Sent only once the child
 * said `ready` (its handler is in place; before that the signal's default action would kill it).
 */
export const DRAIN_SIGNAL = 'SIGUSR2';

/** Who accepts, strategy `prefork`: see PreforkAccept in options.ts. */
export type PreforkAcceptMode = 'rr' | 'os' | 'reuseport';

/**
 * Strategy `prefork`: the child accepts (or, `rr`, is given) connections itself and tells the parent.
 * `accepted` carries a copy of the client's socket as its IPC handle (the escrow: see prefork.ts).
 * `need`/`grant`/`release`/`released` share `maxConnections` between the children (permits, see prefork.ts).
 */
export type FromPreforkChild =
  | { __socketlab__: true; type: 'listening'; address: string; family: string; port: number; selfAccept: boolean }
  | { __socketlab__: true; type: 'listen-error'; message: string; code: string | null }
  | { __socketlab__: true; type: 'accepted'; id: number }
  | { __socketlab__: true; type: 'closed'; id: number; tasks: number; errors: number }
  | { __socketlab__: true; type: 'rejected' }
  | { __socketlab__: true; type: 'need'; id: number }
  | { __socketlab__: true; type: 'released'; n: number };

export type ToPreforkChild =
  | { __socketlab__: true; type: 'grant'; id: number; ok: boolean }
  | { __socketlab__: true; type: 'release' }
  | { __socketlab__: true; type: 'drain' };

/** Passed to a prefork child in its environment (PREFORK_CONFIG_ENV, JSON). */
export interface PreforkChildConfig extends HostConfig {
  accept: PreforkAcceptMode;
  host: string;
  port: number;
  backlog: number;
  /** Connections it may have open before it must ask the parent for more (its share of maxConnections). */
  permits: number;
  /** `copy`: send the parent an unread copy of each socket with its `accepted` report (MpServerOptions.crashAnswer). */
  crashAnswer: 'copy' | 'off';
}

export const PREFORK_CONFIG_ENV = 'SOCKETLAB_PREFORK_CONFIG';
