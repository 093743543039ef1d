import { checkInteger, checkKnownKeys, deepFreeze } from './options.ts';

/** Protocol limits. Every server enforces the same ones; all are configurable. */
export interface Limits {
  /** Longest text request line, in bytes, excluding the newline. Beyond it: SOCKETLAB_ERR_LINE_TOO_LONG and close. */
  maxLineBytes: number;
  /** Largest binary frame payload, in bytes. Checked from the header, before the body is buffered. */
  maxFrameBytes: number;
  /** Longest `SLEEP`, in milliseconds. */
  maxSleepMs: number;
  /** Longest `WAIT`, in milliseconds. */
  maxWaitMs: number;
  /** Largest `FIB` argument. */
  maxFibN: number;
  /** Most `HASH` rounds. */
  maxHashRounds: number;
  /**
   * Most requests in flight (received, not yet answered) per connection. Beyond it the server stops
   * reading that socket until replies drain: backpressure, not errors.
   */
  maxInFlight: number;
  /**
   * Most bytes held for one connection: requests in flight, replies waiting for their turn (replies go
   * out in request order) and replies queued in the socket. At the bound the server stops reading that
   * socket until they drain: backpressure, not errors. One more request may be admitted just under the
   * bound, so the real worst case is this plus one request and its reply (docs/protocol.md).
   */
  maxPendingBytes: number;
}

/**
 * The defaults, with units. Measured on the 2-core reference machine (Node 20; FIB and HASH are V8 JIT code, no slower on 26): FIB 40 takes 1.0 s and
 * each extra n multiplies that by ~1.6, so FIB 44 is ~7 s; one HASH round is ~1.2 µs, so 5,000,000 rounds
 * are ~6 s. No single task pins a core for more than the ~10 s budget.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineBytes: 64 * 1024, // 64 KiB, Redis' inline-command limit
  maxFrameBytes: 1024 * 1024, // 1 MiB
  maxSleepMs: 10_000, // 10 s
  maxWaitMs: 60_000, // 60 s: WAIT occupies no thread, so it may be longer
  maxFibN: 44, // ~7 s of one core (naive recursion)
  maxHashRounds: 5_000_000, // ~6 s of one core (SHA-256 rounds)
  maxInFlight: 128, // requests per connection
  maxPendingBytes: 1024 * 1024, // 1 MiB per connection: one largest frame's worth
});

const LIMIT_RANGES: Record<keyof Limits, [number, number]> = {
  maxLineBytes: [16, 64 * 1024 * 1024],
  maxFrameBytes: [16, 1024 * 1024 * 1024],
  maxSleepMs: [0, 3_600_000],
  maxWaitMs: [0, 3_600_000],
  maxFibN: [0, 50],
  maxHashRounds: [1, 100_000_000],
  maxInFlight: [1, 1_000_000],
  maxPendingBytes: [1, 1024 * 1024 * 1024],
};

/** Merges user limits over the defaults, validating each given field. The result is frozen. */
export function resolveLimits(input?: Partial<Limits>, name = 'limits'): Readonly<Limits> {
  const given = checkKnownKeys(name, input, Object.keys(DEFAULT_LIMITS));
  const out = { ...DEFAULT_LIMITS } as Limits;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const [min, max] = LIMIT_RANGES[key as keyof Limits];
    out[key as keyof Limits] = checkInteger(`${name}.${key}`, value, min, max);
  }
  return deepFreeze(out);
}
