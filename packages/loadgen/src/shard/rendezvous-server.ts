import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { escapeForLog } from '@socketlab/protocol/server';
import { now } from '../client-core.ts';
import { ShardRendezvousError, ShardTimeoutError } from '../errors.ts';
import { estimateClock, type ClockEstimate, type ClockSample } from './clock.ts';
import { cohostedPids } from './cohost.ts';
import { listenAddress } from './bind.ts';
import { resolveOptions, type Hello, type RendezvousOptions } from './rendezvous.ts';
import { SECRET_ENV, newNonce, proofHolds, proofOf, readLines, send, validate, type Message } from './wire.ts';

/** A connection that has not proved the secret within this long is dropped, ms (bounded by the timeout). */
const AUTH_TIMEOUT_MS = 10_000;
/** Connections waiting to prove the secret at once; more are closed at once. */
const MAX_UNAUTHENTICATED = 64;
/** Dropped peers logged one by one; past this only counted (a flood must not flood the log). */
const MAX_LOGGED_DROPS = 20;

interface Peer {
  readonly socket: net.Socket;
  readonly nonce: string;
  readonly address: string;
  hello: Hello | null;
  said: 'hello' | 'bye' | null;
  /** Dropped: nothing more it sends is read. */
  gone: boolean;
  pings: Map<number, (s: ClockSample) => void>;
  authTimer?: NodeJS.Timeout;
}

const listIndices = (xs: readonly number[]) => xs.join(', ');
const codeOf = (e: Error) => (e as { code?: string }).code ?? ShardRendezvousError.code;

/**
 * Shard 0's side. `check` compares a shard's hello with shard 0's own settings and returns what differs
 * (or null): that shard is refused, and the sweep waits for a right one until the timeout, whose message
 * says what was refused. A peer is heard only once it has proved the secret (wire.ts); until then, and
 * whenever a line breaks the schema, it is dropped and logged, and cannot abort, join, or give values.
 */
export class RendezvousServer {
  readonly sweepId = randomBytes(6).toString('hex');
  readonly #server: net.Server;
  readonly #count: number;
  readonly #options: Required<RendezvousOptions>;
  readonly #check: (hello: Hello) => string | null;
  readonly #peers = new Set<Peer>();
  readonly #byIndex = new Map<number, Peer>();
  readonly #ready = new Map<number, Map<number, string>>();
  /** The values given at each pending barrier, by shard index. */
  readonly #values = new Map<number, Map<number, number[]>>();
  #barrierTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #failure: Error | null = null;
  #finishing: (() => void) | null = null;
  #nextPing = 1;
  #dropped = 0;
  #lastRefusal: string | null = null;

  private constructor(server: net.Server, count: number, check: (hello: Hello) => string | null, options: Required<RendezvousOptions>) {
    this.#server = server;
    this.#count = count;
    this.#check = check;
    this.#options = options;
    server.on('connection', (socket) => this.#accept(socket));
    this.#connectTimer = setTimeout(() => {
      const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !this.#byIndex.has(i));
      const refused = this.#lastRefusal ? `; refused meanwhile: ${this.#lastRefusal}` : '';
      this.#abort(new ShardTimeoutError(`shard${missing.length > 1 ? 's' : ''} ${listIndices(missing)} of ${count} did not connect to the rendezvous within ${options.timeoutMs} ms (--rendezvous-timeout-ms)${refused}`));
    }, options.timeoutMs);
  }

  /** Listens on `port` of the one local address `host` names (bind.ts: a loopback one, or this machine's). */
  static async listen(host: string, port: number, count: number, check: (hello: Hello) => string | null, options: RendezvousOptions = {}): Promise<RendezvousServer> {
    const resolved = resolveOptions(options);
    const address = await listenAddress(host);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new ShardRendezvousError(`shard 0 cannot listen for the rendezvous on ${address}:${port}: ${err.code ?? err.message}`)));
      server.listen(port, address, () => resolve());
    });
    return new RendezvousServer(server, count, check, resolved);
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** The error that ended the rendezvous, if one did. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Peers dropped so far: unauthenticated, malformed or refused. */
  get dropped(): number {
    return this.#dropped;
  }

  #accept(socket: net.Socket): void {
    socket.on('error', () => {}); // surfaced through 'close'
    const waiting = [...this.#peers].filter((p) => p.hello === null).length;
    if (this.#failure || waiting >= MAX_UNAUTHENTICATED) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const peer: Peer = { socket, nonce: newNonce(), address: `${socket.remoteAddress}:${socket.remotePort}`, hello: null, said: null, gone: false, pings: new Map() };
    this.#peers.add(peer);
    peer.authTimer = setTimeout(() => this.#drop(peer, 'no authenticated hello in time'), Math.min(AUTH_TIMEOUT_MS, this.#options.timeoutMs));
    socket.on('close', () => {
      clearTimeout(peer.authTimer);
      this.#peers.delete(peer);
      const index = peer.hello?.index;
      if (index !== undefined && this.#byIndex.get(index) === peer) {
        if (peer.said === 'hello') this.#abort(new ShardRendezvousError(`shard ${index} (${peer.hello!.node ?? peer.hello!.host}) left the rendezvous before the end of the sweep`));
        else this.#maybeFinished();
      }
    });
    readLines(socket, (m) => this.#onLine(peer, m), (reason) => this.#drop(peer, reason));
    send(socket, { t: 'challenge', nonce: peer.nonce });
  }

  /** Closes a peer's connection and logs why (escaped, capped, and only the first few: a flood is counted). */
  #drop(peer: Peer, reason: string, tell?: string): void {
    if (peer.gone) return;
    peer.gone = true;
    this.#dropped++;
    if (this.#dropped <= MAX_LOGGED_DROPS) this.#options.log(`rendezvous: dropped ${escapeForLog(peer.address)}: ${escapeForLog(reason, 400)}`);
    else if (this.#dropped === MAX_LOGGED_DROPS + 1) this.#options.log('rendezvous: more peers dropped; no longer logged one by one');
    if (tell !== undefined) {
      send(peer.socket, { t: 'abort', code: ShardRendezvousError.code, message: tell });
      peer.socket.end(() => peer.socket.destroy());
    } else peer.socket.destroy();
  }

  #onLine(peer: Peer, raw: unknown): void {
    if (this.#failure || peer.gone) return;
    if (peer.hello === null) return this.#onHello(peer, raw);
    const m = validate(raw, ['ready', 'pong', 'bye']);
    if (typeof m === 'string') {
      // A joined shard that breaks the protocol is gone, and the sweep cannot go on without it.
      this.#abort(new ShardRendezvousError(`shard ${peer.hello.index} sent a malformed message: ${m}`));
      return this.#drop(peer, `shard ${peer.hello.index}: ${m}`);
    }
    if (m.t === 'pong') {
      const resolve = peer.pings.get(m.id as number);
      peer.pings.delete(m.id as number);
      return resolve?.({ t0: m.t0 as number, t1: m.t1 as number, t2: now() });
    }
    if (m.t === 'ready') return this.#onReady(peer, m.seq as number, m.label as string, m.values as number[] | undefined);
    peer.said = 'bye';
    // The others wait at a barrier this shard will never reach: its sweep ended early (interrupted).
    const waiting = [...this.#ready.entries()].find(([, r]) => !r.has(peer.hello!.index));
    if (waiting) return this.#abort(this.#endedEarly(peer.hello.index, waiting[0], waiting[1].values().next().value ?? ''));
    this.#maybeFinished();
  }

  /** The first line: a hello proving the secret, else the peer is dropped; then its fields are checked. */
  #onHello(peer: Peer, raw: unknown): void {
    const proof = typeof raw === 'object' && raw !== null ? (raw as Message).proof : undefined;
    if ((raw as Message | null)?.t !== 'hello' || !proofHolds(this.#options.secret, 'hello', peer.nonce, proof)) {
      // No detail to an unauthenticated peer: it learns nothing of the sweep.
      return this.#drop(peer, 'not authenticated (no hello with the proof of the shared secret)', `not authenticated: every shard needs the same ${SECRET_ENV}`);
    }
    clearTimeout(peer.authTimer);
    const m = validate(raw, ['hello']);
    if (typeof m === 'string') return this.#refuse(peer, m);
    const hello = m as unknown as Hello & { nonce: string };
    send(peer.socket, { t: 'accepted', proof: proofOf(this.#options.secret, 'accepted', hello.nonce) });
    if (hello.count !== this.#count) return this.#refuse(peer, `shard ${hello.index} says there are ${hello.count} shards; shard 0 says ${this.#count} (give every shard the same --shard count)`);
    if (hello.index >= this.#count) return this.#refuse(peer, `shard index ${hello.index} is not between 0 and ${this.#count - 1}`);
    if (this.#byIndex.has(hello.index)) return this.#refuse(peer, `shard index ${hello.index} is taken (by ${this.#byIndex.get(hello.index)!.hello!.host}); give each shard its own --shard index`);
    const differs = this.#check(hello);
    if (differs !== null) {
      // The shard is told which field differs, not shard 0's value; shard 0's log has both.
      const field = differs.split(/[: ]/, 1)[0]!;
      this.#options.log(`rendezvous: shard ${hello.index} runs another sweep: ${escapeForLog(differs, 400)}`);
      return this.#refuse(peer, `shard ${hello.index} runs another sweep than shard 0: ${field} differs`);
    }
    peer.hello = { index: hello.index, count: hello.count, host: hello.host, node: hello.node, config: null, pid: hello.pid, machine: hello.machine };
    peer.said = 'hello';
    this.#byIndex.set(hello.index, peer);
    if (this.#byIndex.size === this.#count) {
      clearTimeout(this.#connectTimer);
      const places = [...this.#byIndex.values()].map((p) => p.hello!);
      for (const p of this.#byIndex.values()) send(p.socket, { t: 'welcome', sweepId: this.sweepId, cohosted: cohostedPids(places, p.hello!.index) });
    }
  }

  /** An authenticated shard that cannot join: it is told why and dropped; the others keep waiting. */
  #refuse(peer: Peer, why: string): void {
    this.#lastRefusal = why;
    this.#drop(peer, why, why);
  }

  #onReady(peer: Peer, seq: number, label: string, values?: number[]): void {
    const index = peer.hello!.index;
    const gone = [...this.#byIndex.values()].find((p) => p.said === 'bye');
    if (gone) return this.#abort(this.#endedEarly(gone.hello!.index, seq, label));
    let ready = this.#ready.get(seq);
    if (!ready) {
      ready = new Map();
      this.#ready.set(seq, ready);
      clearTimeout(this.#barrierTimer);
      this.#barrierTimer = setTimeout(() => {
        const late = Array.from({ length: this.#count }, (_, i) => i).filter((i) => !this.#ready.get(seq)?.has(i));
        this.#abort(new ShardTimeoutError(`run ${seq + 1} (${escapeForLog(label)}): shard${late.length > 1 ? 's' : ''} ${listIndices(late)} of ${this.#count} not ready within ${this.#options.timeoutMs} ms of the first (--rendezvous-timeout-ms)`));
      }, this.#options.timeoutMs);
    }
    for (const [other, at] of ready) {
      if (at !== label) return this.#abort(new ShardRendezvousError(`run ${seq + 1}: shard ${index} is at "${escapeForLog(label)}" but shard ${other} at "${escapeForLog(at)}"; the shards' sweeps diverged`));
    }
    ready.set(index, label);
    if (values !== undefined) {
      const given = this.#values.get(seq) ?? new Map<number, number[]>();
      given.set(index, values);
      this.#values.set(seq, given);
    }
    if (ready.size === this.#count) {
      clearTimeout(this.#barrierTimer);
      this.#ready.delete(seq);
      const given = this.#values.get(seq);
      this.#values.delete(seq);
      const all = given ? Array.from({ length: this.#count }, (_, i) => given.get(i) ?? []) : null;
      this.#start(seq, all).catch((err: Error) => this.#abort(err));
    }
  }

  #endedEarly(index: number, seq: number, label: string): Error {
    return new ShardRendezvousError(`run ${seq + 1} (${escapeForLog(label)}): shard ${index} ended its sweep before it (interrupted or failed; see its own output)`);
  }

  async #clock(peer: Peer): Promise<ClockEstimate> {
    const samples: ClockSample[] = [];
    for (let i = 0; i < this.#options.clockRounds; i++) {
      const id = this.#nextPing++;
      samples.push(
        await new Promise<ClockSample>((resolve) => {
          // A shard that leaves meanwhile aborts the rendezvous (its 'close'), which ends this exchange too.
          peer.pings.set(id, resolve);
          send(peer.socket, { t: 'ping', id, t0: now() });
        }),
      );
    }
    return estimateClock(samples);
  }

  async #start(seq: number, values: number[][] | null): Promise<void> {
    const peers = [...this.#byIndex.values()];
    const clocks = await Promise.all(peers.map((p) => this.#clock(p)));
    if (this.#failure) return;
    const maxRtt = Math.max(...clocks.map((c) => c.rttMs));
    const agreedAt = now() + this.#options.startMarginMs + 2 * maxRtt;
    peers.forEach((p, i) => {
      const c = clocks[i]!;
      send(p.socket, { t: 'start', seq, agreedAt, localAt: agreedAt + c.offsetMs, offsetMs: c.offsetMs, rttMs: c.rttMs, ...(values ? { values } : {}) });
    });
  }

  #abort(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#barrierTimer);
    // Only joined shards hear of it: a peer that has not proved the secret learns nothing.
    for (const p of this.#peers) {
      if (p.hello !== null) send(p.socket, { t: 'abort', code: codeOf(error), message: error.message });
      p.socket.end();
    }
    this.#finishing?.();
  }

  #maybeFinished(): void {
    if ([...this.#byIndex.values()].every((p) => p.said === 'bye') && this.#byIndex.size === this.#count) this.#finishing?.();
  }

  /**
   * Waits (at most the timeout) until every shard has said bye or the rendezvous failed, then closes.
   * Shard 0 calls it after its own sweep: the others may still be finishing their last run.
   */
  async close(): Promise<void> {
    clearTimeout(this.#connectTimer);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#failure ? 0 : this.#options.timeoutMs);
      this.#finishing = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.#failure) this.#finishing();
      else this.#maybeFinished();
    });
    clearTimeout(this.#barrierTimer);
    for (const p of this.#peers) p.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
