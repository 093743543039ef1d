/**
 * The brand on every message socketlab sends between its own processes and threads (IPC, postMessage),
 * declared once. A receiver ignores messages without it: a channel may carry other traffic (Node's own
 * internal messages, a debugger), and a stray object must never be read as a command.
 */
export const MESSAGE_BRAND = '__socketlab__' as const;

/** A message with the brand and a `type` tag (each channel declares its own tagged union on top). */
export interface Branded {
  readonly [MESSAGE_BRAND]: true;
  readonly type: string;
}

/** True for a branded message with a string `type`. */
export function isBranded(msg: unknown): msg is Branded {
  return typeof msg === 'object' && msg !== null && (msg as Record<string, unknown>)[MESSAGE_BRAND] === true && typeof (msg as Record<string, unknown>).type === 'string';
}
