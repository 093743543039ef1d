import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { now } from '../client-core.ts';
import { ShardRendezvousError, ShardTimeoutError } from '../errors.ts';
import { estimateClock, type ClockEstimate, type ClockSample } from './clock.ts';
import { cohostedPids } from './cohost.ts';

/**
 * The synchronized start of a sharded sweep. Shard 0 runs a RendezvousServer; every shard, shard 0
 * included, connects a RendezvousClient to it. Messages are JSON, one per line, over TCP:
 *
 *   shard → 0: hello {index, count, host, node, config,   0 → shard: welcome {sweepId, cohosted} (once all n said hello)
 *                     pid, machine}
 *   shard → 0: ready {seq, label, values?}                 0 → shard: ping {id, t0} … (clock rounds)
 *   shard → 0: pong {id, t0, t1}                           0 → shard: start {seq, agreedAt, localAt, offsetMs, rttMs, values?}
 *   shard → 0: bye                                         0 → shard: abort {code, message}
 *
 * Before every run (barrier `seq`) each shard says ready once its clients are prepared; when all n are,
 * shard 0 measures each shard's clock offset (CLOCK_ROUNDS exchanges, the shortest round trip kept),
 * picks one start time a margin ahead on its own clock, and tells each shard that time on the shard's
 * own clock. Anything wrong (a shard missing past the timeout, one that leaves, one that disagrees)
 * aborts every shard with the same coded error.
 *
 * A barrier can also gather numbers: each shard's `values` at a barrier come back to every shard in the
 * start, by shard index (the open model's joint capacity probe sums the shards' probes this way).
 *
 * `pid` and `machine` (shard/cohost.ts) say where a shard runs; the welcome tells each shard the pids of
 * the others on its machine (`cohosted`), whose CPU its noise measurement leaves out. Both sides ignore
 * fields they do not know, so a shard that sends neither (an older loadgen) is simply co-hosted with none.
 */

/** Defaults of the rendezvous, with units. */
export const DEFAULT_RENDEZVOUS_OPTIONS = Object.freeze({
  /** Longest wait for every shard to connect, and at each run for the last shard to be ready after the first, ms. */
  timeoutMs: 60_000,
  /** Clock exchanges per shard per run; the one with the shortest round trip is kept. */
  clockRounds: 5,
  /** The start is this far ahead of the moment shard 0 decides it, plus twice the longest round trip, ms. */
  startMarginMs: 100,
  /** Pause between connection attempts while shard 0 is not listening yet, ms. */
  connectRetryMs: 200,
});

export interface RendezvousOptions {
  timeoutMs?: number;
  clockRounds?: number;
  startMarginMs?: number;
  connectRetryMs?: number;
}

export interface Hello {
  index: number;
  count: number;
  host: string;
  node: string | null;
  /** The shard's resolved sweep configuration: shard 0 refuses one that differs from its own. */
  config: unknown;
  /** Its process id, and its machine key (cohost.ts machineKey): where its process tree can be found. */
  pid?: number;
  machine?: string;
}

/** Longest machine key shard 0 accepts (a boot id and a namespace are about 60 characters). */
const MAX_MACHINE_KEY = 256;

/** What a shard learns at a barrier: when to release, on its clock and on shard 0's. */
export interface StartSignal {
  readonly seq: number;
  /** The agreed release, on shard 0's clock, ms since the epoch. */
  readonly agreedAt: number;
  /** The same instant on this shard's clock: agreedAt + offsetMs. */
  readonly localAt: number;
  readonly offsetMs: number;
  readonly rttMs: number;
  /** Every shard's `values` at this barrier, by shard index; null when none gave any. */
  readonly values: readonly (readonly number[])[] | null;
}

/** Most numbers one shard may give at a barrier. */
const MAX_BARRIER_VALUES = 16;

type Message = { t: string; [key: string]: unknown };

/** Splits a socket's bytes into JSON lines; a line that is not JSON is a protocol error. */
function lines(socket: net.Socket, onMessage: (m: Message) => void, onBad: (text: string) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        return onBad(line.slice(0, 80));
      }
      if (m && typeof m === 'object' && typeof (m as Message).t === 'string') onMessage(m as Message);
      else return onBad(line.slice(0, 80));
    }
  });
}

const send = (socket: net.Socket, m: Message) => {
  if (!socket.destroyed) socket.write(JSON.stringify(m) + '\n');
};

const errorClass = (code: unknown) => (code === ShardTimeoutError.code ? ShardTimeoutError : ShardRendezvousError);

interface Peer {
  readonly socket: net.Socket;
  hello: Hello | null;
  said: 'hello' | 'bye' | null;
  pings: Map<number, (s: ClockSample) => void>;
}

const listIndices = (xs: readonly number[]) => xs.join(', ');

/**
 * Shard 0's side. `check` compares a shard's hello with shard 0's own settings and returns what differs
 * (or null); a shard that differs fails the whole run.
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

  private constructor(server: net.Server, count: number, check: (hello: Hello) => string | null, options: Required<RendezvousOptions>) {
    this.#server = server;
    this.#count = count;
    this.#check = check;
    this.#options = options;
    server.on('connection', (socket) => this.#accept(socket));
    this.#connectTimer = setTimeout(() => {
      const missing = this.#missing();
      this.#abort(new ShardTimeoutError(`shard${missing.length > 1 ? 's' : ''} ${listIndices(missing)} of ${count} did not connect to the rendezvous within ${options.timeoutMs} ms (--rendezvous-timeout-ms)`));
    }, options.timeoutMs);
  }

  /**
   * Listens on `port`: on `host` when it is a loopback address (a test stays on this machine), else on
   * every interface (the name the other shards use, a node's or a Service's, may not be bindable here).
   */
  static async listen(host: string, port: number, count: number, check: (hello: Hello) => string | null, options: RendezvousOptions = {}): Promise<RendezvousServer> {
    const resolved = { ...DEFAULT_RENDEZVOUS_OPTIONS, ...options };
    const server = net.createServer();
    const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new ShardRendezvousError(`shard 0 cannot listen for the rendezvous on ${loopback ? host : '*'}:${port}: ${err.code ?? err.message}`)));
      server.listen(port, loopback ? host : undefined, () => resolve());
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

  #missing(): number[] {
    return Array.from({ length: this.#count }, (_, i) => i).filter((i) => this.#byIndex.get(i)?.said !== 'hello');
  }

  #accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const peer: Peer = { socket, hello: null, said: null, pings: new Map() };
    this.#peers.add(peer);
    if (this.#failure) {
      send(socket, { t: 'abort', code: (this.#failure as { code?: string }).code, message: this.#failure.message });
      socket.end();
      return;
    }
    socket.on('error', () => {}); // surfaced through 'close'
    socket.on('close', () => {
      this.#peers.delete(peer);
      const index = peer.hello?.index;
      if (index !== undefined && this.#byIndex.get(index) === peer) {
        if (peer.said === 'hello') this.#abort(new ShardRendezvousError(`shard ${index} (${peer.hello!.node ?? peer.hello!.host}) left the rendezvous before the end of the sweep`));
        else this.#maybeFinished();
      }
    });
    lines(socket, (m) => this.#onMessage(peer, m), (text) => {
      send(socket, { t: 'abort', code: ShardRendezvousError.code, message: `not a rendezvous message: ${JSON.stringify(text)}` });
      socket.destroy();
    });
  }

  #onMessage(peer: Peer, m: Message): void {
    if (this.#failure) return;
    switch (m.t) {
      case 'hello': {
        const hello = m as unknown as Hello & Message;
        const reject = (text: string) => {
          send(peer.socket, { t: 'abort', code: ShardRendezvousError.code, message: text });
          peer.socket.end();
        };
        if (hello.count !== this.#count) return this.#abort(new ShardRendezvousError(`shard ${hello.index} says there are ${hello.count} shards; shard 0 says ${this.#count} (give every shard the same --shard count)`));
        if (!Number.isInteger(hello.index) || hello.index < 0 || hello.index >= this.#count) return reject(`shard index ${String(hello.index)} is not between 0 and ${this.#count - 1}`);
        if (this.#byIndex.has(hello.index)) return this.#abort(new ShardRendezvousError(`two shards claim index ${hello.index} (${this.#byIndex.get(hello.index)!.hello!.host} and ${hello.host}); give each shard its own --shard index`));
        if (hello.pid !== undefined && (!Number.isInteger(hello.pid) || hello.pid < 1)) return reject(`shard ${hello.index}: pid ${JSON.stringify(hello.pid)} is not a process id`);
        if (hello.machine !== undefined && (typeof hello.machine !== 'string' || hello.machine === '' || hello.machine.length > MAX_MACHINE_KEY)) return reject(`shard ${hello.index}: machine ${JSON.stringify(hello.machine)} is not a machine key`);
        const differs = this.#check(hello);
        if (differs !== null) return this.#abort(new ShardRendezvousError(`shard ${hello.index} runs another sweep than shard 0: ${differs}`));
        peer.hello = { index: hello.index, count: hello.count, host: hello.host, node: hello.node, config: null, pid: hello.pid, machine: hello.machine };
        peer.said = 'hello';
        this.#byIndex.set(hello.index, peer);
        if (this.#byIndex.size === this.#count) {
          clearTimeout(this.#connectTimer);
          const places = [...this.#byIndex.values()].map((p) => p.hello!);
          for (const p of this.#byIndex.values()) send(p.socket, { t: 'welcome', sweepId: this.sweepId, cohosted: cohostedPids(places, p.hello!.index) });
        }
        return;
      }
      case 'pong': {
        const resolve = peer.pings.get(m.id as number);
        peer.pings.delete(m.id as number);
        resolve?.({ t0: m.t0 as number, t1: m.t1 as number, t2: now() });
        return;
      }
      case 'ready': {
        const values = m.values;
        if (values !== undefined && !(Array.isArray(values) && values.length <= MAX_BARRIER_VALUES && values.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
          return this.#abort(new ShardRendezvousError(`shard ${peer.hello?.index ?? '?'} gave values that are not up to ${MAX_BARRIER_VALUES} finite numbers at "${String(m.label)}": ${JSON.stringify(values).slice(0, 80)}`));
        }
        return this.#onReady(peer, m.seq as number, String(m.label), values as number[] | undefined);
      }
      case 'bye': {
        peer.said = 'bye';
        // The others wait at a barrier this shard will never reach: its sweep ended early (interrupted).
        const waiting = [...this.#ready.entries()].find(([, r]) => !r.has(peer.hello?.index ?? -1));
        if (waiting) return this.#abort(this.#endedEarly(peer.hello?.index ?? -1, waiting[0], waiting[1].values().next().value ?? ''));
        return this.#maybeFinished();
      }
    }
  }

  #onReady(peer: Peer, seq: number, label: string, values?: number[]): void {
    if (!peer.hello) return;
    const gone = [...this.#byIndex.values()].find((p) => p.said === 'bye');
    if (gone) return this.#abort(this.#endedEarly(gone.hello!.index, seq, label));
    let ready = this.#ready.get(seq);
    if (!ready) {
      ready = new Map();
      this.#ready.set(seq, ready);
      clearTimeout(this.#barrierTimer);
      this.#barrierTimer = setTimeout(() => {
        const late = Array.from({ length: this.#count }, (_, i) => i).filter((i) => !this.#ready.get(seq)?.has(i));
        this.#abort(new ShardTimeoutError(`run ${seq + 1} (${label}): shard${late.length > 1 ? 's' : ''} ${listIndices(late)} of ${this.#count} not ready within ${this.#options.timeoutMs} ms of the first (--rendezvous-timeout-ms)`));
      }, this.#options.timeoutMs);
    }
    for (const [index, other] of ready) {
      if (other !== label) return this.#abort(new ShardRendezvousError(`run ${seq + 1}: shard ${peer.hello.index} is at "${label}" but shard ${index} at "${other}"; the shards' sweeps diverged`));
    }
    ready.set(peer.hello.index, label);
    if (values !== undefined) {
      const given = this.#values.get(seq) ?? new Map<number, number[]>();
      given.set(peer.hello.index, values);
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
    return new ShardRendezvousError(`run ${seq + 1} (${label}): shard ${index} ended its sweep before it (interrupted or failed; see its own output)`);
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
    for (const p of this.#peers) {
      send(p.socket, { t: 'abort', code: (error as { code?: string }).code, message: error.message });
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

/** Every shard's side (shard 0's too): connects, says hello, and waits at each barrier for its start. */
export class RendezvousClient {
  readonly #socket: net.Socket;
  readonly #options: Required<RendezvousOptions>;
  #failure: Error | null = null;
  #welcome: { resolve: (id: string) => void; reject: (e: Error) => void } | null = null;
  #starts = new Map<number, { resolve: (s: StartSignal) => void; reject: (e: Error) => void }>();
  #bye = false;
  #seq = 0;
  /** The sweep's id, handed out by shard 0 once every shard is connected. */
  sweepId = '';
  /** The pids of the other shards on this shard's machine, handed out with the id. */
  cohosted: readonly number[] = [];

  private constructor(socket: net.Socket, options: Required<RendezvousOptions>) {
    this.#socket = socket;
    this.#options = options;
    socket.setNoDelay(true);
    socket.on('error', () => {}); // surfaced through 'close'
    socket.on('close', () => {
      if (!this.#bye) this.#fail(new ShardRendezvousError('the connection to the rendezvous (shard 0) closed'));
    });
    lines(socket, (m) => this.#onMessage(m), (text) => this.#fail(new ShardRendezvousError(`shard 0 sent something that is not a rendezvous message: ${JSON.stringify(text)}`)));
  }

  /**
   * Connects to shard 0 at host:port, retrying while nothing listens there yet, and says hello. Resolves
   * when every shard has (shard 0's welcome); rejects with a coded error on timeout or refusal.
   */
  static async join(host: string, port: number, hello: Hello, options: RendezvousOptions = {}): Promise<RendezvousClient> {
    const resolved = { ...DEFAULT_RENDEZVOUS_OPTIONS, ...options };
    const deadline = now() + resolved.timeoutMs;
    let socket: net.Socket | null = null;
    let lastError = '';
    while (socket === null) {
      try {
        socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host, port });
          s.once('connect', () => {
            s.off('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
      } catch (err) {
        lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        if (now() + resolved.connectRetryMs > deadline) {
          throw new ShardTimeoutError(`shard ${hello.index} could not reach the rendezvous at ${host}:${port} within ${resolved.timeoutMs} ms (--rendezvous-timeout-ms; last error ${lastError})`);
        }
        await new Promise((r) => setTimeout(r, resolved.connectRetryMs));
      }
    }
    const client = new RendezvousClient(socket, resolved);
    // Shard 0 enforces the timeout for the others to arrive; this one bounds a shard 0 that hangs.
    const guard = setTimeout(() => client.#fail(new ShardTimeoutError(`shard ${hello.index}: no word from the rendezvous at ${host}:${port} within ${2 * resolved.timeoutMs} ms`)), 2 * resolved.timeoutMs);
    try {
      client.sweepId = await new Promise<string>((resolve, reject) => {
        client.#welcome = { resolve, reject };
        send(socket, { t: 'hello', ...hello });
      });
    } catch (err) {
      client.#socket.destroy();
      throw err;
    } finally {
      clearTimeout(guard);
    }
    return client;
  }

  #onMessage(m: Message): void {
    switch (m.t) {
      case 'welcome': {
        // From an older shard 0, no list: co-hosted with none. A list that is not pids is shard 0's bug.
        const cohosted = m.cohosted ?? [];
        if (!Array.isArray(cohosted) || !cohosted.every((pid) => Number.isInteger(pid) && (pid as number) > 0)) {
          return this.#fail(new ShardRendezvousError(`shard 0's welcome lists co-hosted shards that are not process ids: ${JSON.stringify(cohosted).slice(0, 80)}`));
        }
        this.cohosted = Object.freeze([...(cohosted as number[])]);
        this.#welcome?.resolve(String(m.sweepId));
        this.#welcome = null;
        return;
      }
      case 'ping':
        send(this.#socket, { t: 'pong', id: m.id, t0: m.t0, t1: now() });
        return;
      case 'start': {
        const waiter = this.#starts.get(m.seq as number);
        this.#starts.delete(m.seq as number);
        const values = Array.isArray(m.values) ? (m.values as number[][]) : null;
        waiter?.resolve({ seq: m.seq as number, agreedAt: m.agreedAt as number, localAt: m.localAt as number, offsetMs: m.offsetMs as number, rttMs: m.rttMs as number, values });
        return;
      }
      case 'abort': {
        const Cls = errorClass(m.code);
        this.#fail(new Cls(String(m.message)));
        return;
      }
    }
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#welcome?.reject(error);
    this.#welcome = null;
    for (const w of this.#starts.values()) w.reject(error);
    this.#starts.clear();
    this.#socket.destroy();
  }

  get failure(): Error | null {
    return this.#failure;
  }

  /**
   * The barrier before a run: tells shard 0 this shard is ready for the run named `label` and resolves
   * with the agreed start (and every shard's `values`, when given). Rejects (coded) if the rendezvous
   * fails meanwhile. Bounded: shard 0 gives up on late shards after the timeout; this side gives up on a
   * silent shard 0 after twice that.
   */
  async barrier(label: string, values?: readonly number[]): Promise<StartSignal> {
    if (this.#failure) throw this.#failure;
    const seq = this.#seq++;
    const timeoutMs = 2 * this.#options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<StartSignal>((resolve, reject) => {
        this.#starts.set(seq, { resolve, reject });
        timer = setTimeout(() => this.#fail(new ShardTimeoutError(`run ${seq + 1} (${label}): no start from the rendezvous within ${timeoutMs} ms`)), timeoutMs);
        send(this.#socket, { t: 'ready', seq, label, ...(values ? { values } : {}) });
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Says this shard is done (leaving is then no failure) and closes the connection. */
  close(): void {
    if (this.#bye) return;
    this.#bye = true;
    send(this.#socket, { t: 'bye' });
    this.#socket.end();
  }
}
