import type { Socket } from 'node:net';
import type { Framing } from '../decoder.ts';
import { encodeError } from '../encode.ts';
import type { SocketlabError } from '../errors.ts';
import { DEFAULT_LINGER_MS } from './connection-options.ts';

/**
 * Answers a socket with one ERR and closes it: a connection turned away, or one cut at shutdown. The
 * socket may be paused (pauseOnConnect, or backpressure): it is resumed so the peer's FIN is read and
 * the socket really closes (a paused socket would otherwise stay half-open, and keep `server.close()`
 * waiting forever). Anything more the peer sends is read and dropped.
 */
export function rejectSocket(socket: Socket, error: SocketlabError, framing: Framing = 'text', lingerMs = DEFAULT_LINGER_MS): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => {});
    socket.once('close', () => resolve());
    if (socket.destroyed) return resolve();
    socket.resume();
    socket.end(encodeError(framing, error));
    // The same linger as an ended connection's (the server's `lingerMs`): the peer gets that long to read our ERR and close.
    setTimeout(() => socket.destroy(), lingerMs).unref();
  });
}
