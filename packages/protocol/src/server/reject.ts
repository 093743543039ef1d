import type { Socket } from 'node:net';
import type { Framing } from '../decoder.ts';
import { encodeError } from '../encode.ts';
import type { SocketlabError } from '../errors.ts';

/** How long the peer gets to read our ERR and close before we cut the socket, in ms. */
const REJECT_LINGER_MS = 2000;

/**
 * Answers a socket with one ERR and closes it: a connection turned away, or one cut at shutdown. The
 * socket may be paused (pauseOnConnect, or backpressure): it is resumed so the peer's FIN is read and
 * the socket really closes (a paused socket would otherwise stay half-open, and keep `server.close()`
 * waiting forever). Anything more the peer sends is read and dropped.
 */
export function rejectSocket(socket: Socket, error: SocketlabError, framing: Framing = 'text'): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => {});
    socket.once('close', () => resolve());
    if (socket.destroyed) return resolve();
    socket.resume();
    socket.end(encodeError(framing, error));
    setTimeout(() => socket.destroy(), REJECT_LINGER_MS).unref();
  });
}
