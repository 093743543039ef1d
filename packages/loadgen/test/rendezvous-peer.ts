import net from 'node:net';
import { newNonce, proofOf } from '../src/shard/wire.ts';

/** A raw rendezvous peer on 127.0.0.1 for tests: its socket and the lines it received, parsed. */
export interface RawPeer {
  readonly socket: net.Socket;
  readonly received: Record<string, unknown>[];
  /** Resolves with the next message of type `t` (already received or yet to come). */
  next(t: string): Promise<Record<string, unknown>>;
  /** Resolves when the connection has closed. */
  readonly closed: Promise<void>;
}

export async function rawPeer(port: number): Promise<RawPeer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((r) => socket.once('connect', r));
  socket.on('error', () => {});
  const received: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (s: string) => {
    rest += s;
    let nl;
    while ((nl = rest.indexOf('\n')) >= 0) {
      received.push(JSON.parse(rest.slice(0, nl)) as Record<string, unknown>);
      rest = rest.slice(nl + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const taken = new Set<Record<string, unknown>>();
  const next = async (t: string) => {
    for (;;) {
      const m = received.find((x) => x.t === t && !taken.has(x));
      if (m) {
        taken.add(m);
        return m;
      }
      if (socket.destroyed) throw new Error(`closed before a ${t}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), closed]);
    }
  };
  return { socket, received, next, closed };
}

/** Says hello as shard `hello.index` would, proving `secret` against the challenge received. */
export async function sayHello(peer: RawPeer, hello: object, secret = ''): Promise<void> {
  const { nonce } = await peer.next('challenge');
  peer.socket.write(JSON.stringify({ t: 'hello', ...hello, nonce: newNonce(), proof: proofOf(secret, 'hello', nonce as string) }) + '\n');
}
