import type { ExecutorServerOptions, ExecutorStrategy, ResolvedExecutorServerOptions } from '@socketlab/protocol/server';
import type { PreforkAcceptMode } from './messages.ts';

/**
 * Who accepts, strategy `prefork`:
 * - `rr`: node:cluster with SCHED_RR: the primary (this process) accepts and hands each connection to
 *   the next child in turn (Node's RoundRobinHandle);
 * - `os`: node:cluster with SCHED_NONE: every child accepts from one shared listening socket; which one
 *   wins each connection is up to the kernel (the lesson's prefork);
 * - `reuseport`: each child binds its own listening socket on the same port with `reusePort: true`
 *   (SO_REUSEPORT); the kernel spreads connections over the sockets by a hash of the connection.
 */
export type PreforkAccept = PreforkAcceptMode;

/** The shared executor strategies, plus `prefork` (children that accept for themselves: see prefork.ts). */
export type MpStrategy = ExecutorStrategy | 'prefork';
/**
 * See ExecutorServerOptions: `strategy` (`per-connection` | `pool` | `prefork`) and `poolSize` (the
 * pool's, or prefork's, processes), plus the common options; and for `prefork`, `accept`.
 */
export interface MpServerOptions extends Omit<ExecutorServerOptions, 'strategy'> {
  strategy?: MpStrategy;
  /** Strategy `prefork`: who accepts (`rr` | `os` | `reuseport`, see PreforkAccept). Default: `rr`. */
  accept?: PreforkAccept;
  /**
   * Strategy `prefork`: `copy` (default): the parent holds an unread copy of each client's socket, so a
   * child that dies has its clients answered SOCKETLAB_ERR_WORKER_CRASHED; `off`: no copy (one
   * fd-passing IPC send and one socket object in the parent fewer per connection), and a dead child's
   * clients see their connection closed with no answer.
   */
  crashAnswer?: CrashAnswer;
}
export type ResolvedMpServerOptions = Readonly<Omit<ResolvedExecutorServerOptions, 'strategy'> & { strategy: MpStrategy; accept: PreforkAccept; crashAnswer: CrashAnswer }>;
/** Strategy `prefork`: how a dead child's clients are answered (see MpServerOptions.crashAnswer). */
export type CrashAnswer = 'copy' | 'off';
