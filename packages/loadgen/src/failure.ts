/**
 * How a client failed (its first fatal error), or null if it said Goodbye. `protocol`: an ERR reply that
 * ended the conversation (a stream error, or an ERR to EXIT); it is already counted by code.
 */
export type FailureKind = 'refused' | 'reset' | 'closed' | 'timeout' | 'protocol' | 'other';

/** The FailureKind of a socket error. */
export function failureOf(err: NodeJS.ErrnoException): FailureKind {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'other';
  }
}
