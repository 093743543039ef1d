import net from 'node:net';
import { escapeForLog } from '@socketlab/protocol/server';
import { now } from '../client-core.ts';
import { ShardRendezvousError, ShardTimeoutError } from '../errors.ts';
import { MAX_LABEL_CHARS, newNonce, proofHolds, proofOf, readLines, send, validate, type Message } from './wire.ts';

/**
 * The synchronized start of a sharded sweep. Shard 0 runs a RendezvousServer; every shard, shard 0
 * included, connects a RendezvousClient to it. Messages are JSON, one per line, over TCP:
 *
 *   shard → 0: hello {index, count, host, node, config,   0 → shard: welcome {sweepId, cohosted} (once all n said hello)
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
  /** The shared secret (SOCKETLAB_RENDEZVOUS_SECRET); empty: none, one machine only (session.ts). */
  secret: '',
});

export interface RendezvousOptions {
  timeoutMs?: number;
  clockRounds?: number;
  startMarginMs?: number;
  connectRetryMs?: number;
  secret?: string;
  /** Where shard 0 logs a peer it dropped (escaped, one line each); default stderr. */
  log?: (line: string) => void;
}

const stderrLog = (line: string) => void process.stderr.write(`socketlab-loadgen: ${line}\n`);

/** The options with their defaults. */
export function resolveOptions(options: RendezvousOptions): Required<RendezvousOptions> {
  return { ...DEFAULT_RENDEZVOUS_OPTIONS, log: stderrLog, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
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

/** Every shard's side (shard 0's too): connects, says hello, and waits at each barrier for its start. */
export class RendezvousClient {
  readonly #socket: net.Socket;
  readonly #options: Required<RendezvousOptions>;
  #failure: Error | null = null;
  #welcome: { resolve: (id: string) => void; reject: (e: Error) => void } | null = null;
  #starts = new Map<number, { resolve: (s: StartSignal) => void; reject: (e: Error) => void }>();
  #bye = false;
  #seq = 0;
  /** Where the exchange is: waiting for shard 0's challenge, for its proof, or joined. */
  #stage: 'challenge' | 'accepted' | 'joined' = 'challenge';
  #hello: Hello | null = null;
  readonly #nonce = newNonce();
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
    readLines(socket, (raw) => {
      const expected = this.#stage === 'joined' ? ['welcome', 'ping', 'start', 'abort'] : [this.#stage, 'abort'];
      const m = validate(raw, expected);
      if (typeof m === 'string') this.#fail(new ShardRendezvousError(`the rendezvous (shard 0) sent a malformed message: ${m}`));
      else this.#onMessage(m);
    }, (reason) => this.#fail(new ShardRendezvousError(`the rendezvous (shard 0) sent ${reason}`)));
  }

  /**
   * Connects to shard 0 at host:port, retrying while nothing listens there yet, and says hello. Resolves
   * when every shard has (shard 0's welcome); rejects with a coded error on timeout or refusal.
   */
  static async join(host: string, port: number, hello: Hello, options: RendezvousOptions = {}): Promise<RendezvousClient> {
    const resolved = resolveOptions(options);
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
        client.#hello = hello; // sent once shard 0's challenge arrives
      });
    } catch (err) {
      client.#socket.destroy();
      throw err;
    } finally {
      clearTimeout(guard);
    }
    return client;
  }

  /** One message, already checked against its schema for this stage. */
  #onMessage(m: Message): void {
    const secret = this.#options.secret;
    switch (m.t) {
      case 'challenge':
        this.#stage = 'accepted';
        send(this.#socket, { t: 'hello', ...this.#hello!, nonce: this.#nonce, proof: proofOf(secret, 'hello', m.nonce as string) });
        return;
      case 'accepted':
        if (!proofHolds(secret, 'accepted', this.#nonce, m.proof)) return this.#fail(new ShardRendezvousError('the rendezvous did not prove the shared secret (SOCKETLAB_RENDEZVOUS_SECRET differs, or another process holds the port)'));
        this.#stage = 'joined';
        return;
      case 'welcome': {
        // From an older shard 0, no list: co-hosted with none.
        this.cohosted = Object.freeze([...((m.cohosted ?? []) as number[])]);
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
        const values = m.values === undefined ? null : (m.values as number[][]);
        waiter?.resolve({ seq: m.seq as number, agreedAt: m.agreedAt as number, localAt: m.localAt as number, offsetMs: m.offsetMs as number, rttMs: m.rttMs as number, values });
        return;
      }
      case 'abort': {
        // Whatever shard 0 says reaches this shard's terminal: escaped and capped.
        const Cls = m.code === ShardTimeoutError.code ? ShardTimeoutError : ShardRendezvousError;
        this.#fail(new Cls(escapeForLog(m.message as string, 1000)));
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
        // Cut to the schema's bound (every shard cuts it alike): a longer one would get this shard dropped.
        send(this.#socket, { t: 'ready', seq, label: label.slice(0, MAX_LABEL_CHARS), ...(values ? { values } : {}) });
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
