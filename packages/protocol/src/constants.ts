/**
 * Wire constants, in one place. See docs/protocol.md for the format they describe.
 */

/** Version of the wire format described in docs/protocol.md. Sent in every binary frame header. */
export const PROTOCOL_VERSION = 1;

/**
 * First byte of every binary frame. 0xFF never occurs in UTF-8 text, so it can never begin a text
 * request line: one byte is enough to tell the two framings apart, per request (as Redis tells RESP
 * from inline commands by `*`).
 */
export const BINARY_MAGIC = 0xff;

/** Binary frame header: magic (1) · version (1) · kind (1) · flags (1) · payload length (4, big-endian). */
export const HEADER_BYTES = 8;

/** The `kind` byte of a binary frame. */
export const FrameKind = {
  REQUEST: 0x01,
  REPLY_OK: 0x02,
  REPLY_ERR: 0x03,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;

/** The reply to `EXIT`, as in the lesson's `process_task`. */
export const GOODBYE = 'Goodbye!';
