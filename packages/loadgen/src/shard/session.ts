import { randomBytes } from 'node:crypto';
import { InvalidOptionError } from '@socketlab/protocol';
import { round3, type ResolvedSweepConfig, type SweepResults } from '@socketlab/results';
import { now } from '../client-core.ts';
import type { ShardHooks } from '../sweep/events.ts';
import { machineKey, visiblePids } from './cohost.ts';
import { shareOf, type ShardIdentity } from './contract.ts';
import { configDifference } from './merge.ts';
import { isLoopback } from './bind.ts';
import { RendezvousClient, type RendezvousOptions, type StartSignal } from './rendezvous.ts';
import { RendezvousServer } from './rendezvous-server.ts';
import { SECRET_ENV } from './wire.ts';

/** Checks a configuration can run sharded; throws InvalidOptionError naming the flag. */
export function checkShardable(config: ResolvedSweepConfig, shard: ShardIdentity): void {
  if (config.target === null) {
    throw new InvalidOptionError('--shard needs --target: every shard must load the same external server (with loadgen-started servers each shard would load its own)');
  }
  const flag = `--shard ${shard.index}/${shard.count}`;
  if (config.model === 'open' && config.open) {
    // Every shard takes an integral share of the connections and of each rate: at least one of each.
    const o = config.open;
    // Percentages are of the capacity the shards probe together (open/measure.ts combineProbes).
    if (o.connections < shard.count) throw new InvalidOptionError(`--connections: with ${flag} there must be at least one connection per shard (got ${o.connections})`);
    const slow = o.rates.filter((r) => r < shard.count);
    if (slow.length > 0) throw new InvalidOptionError(`--rates: with ${flag} every rate must be at least the shard count ${shard.count} requests/s (got ${slow.join(', ')})`);
  } else {
    const small = config.clients.filter((n) => n < shard.count);
    if (small.length > 0) throw new InvalidOptionError(`--clients: with ${flag} every N must be at least the shard count ${shard.count} (got ${small.join(', ')})`);
  }
  if ((config.noiseRetries ?? 0) > 0) {
    // A re-run is decided on each machine's own noise, so the shards would disagree on how many runs
    // there are and the barriers would fall out of step.
    throw new InvalidOptionError('--noise-retries must be 0 with --shard (each shard runs every run once; noisy runs are flagged, not re-run)');
  }
}

/** A joined sharded sweep: the hooks for runSweep, then annotate() the results and close(). */
export class ShardSession {
  readonly identity: ShardIdentity;
  readonly rendezvous: string | null;
  readonly #client: RendezvousClient | null;
  readonly #server: RendezvousServer | null;
  readonly #sweepId: string;
  #last: StartSignal | null = null;

  private constructor(identity: ShardIdentity, rendezvous: string | null, client: RendezvousClient | null, server: RendezvousServer | null, sweepId: string) {
    this.identity = identity;
    this.rendezvous = rendezvous;
    this.#client = client;
    this.#server = server;
    this.#sweepId = sweepId;
  }

  /**
   * Joins the sharded sweep: shard 0 opens the rendezvous at `rendezvous` (and joins it like the
   * others); every shard connects, and this resolves once all `count` have. A single shard needs none.
   */
  static async open(identity: ShardIdentity, config: ResolvedSweepConfig, rendezvous: { host: string; port: number } | null, options: RendezvousOptions = {}): Promise<ShardSession> {
    checkShardable(config, identity);
    if (identity.count === 1) return new ShardSession(identity, null, null, null, randomBytes(6).toString('hex'));
    if (rendezvous === null) throw new InvalidOptionError(`--rendezvous is required with --shard ${identity.index}/${identity.count}: host:port of shard 0 (where shard 0 listens)`);
    // The launchers generate the secret and hand it to every shard; by hand, only one machine may go without.
    options = { ...options, secret: options.secret ?? process.env[SECRET_ENV] ?? '' };
    if (options.secret === '' && !isLoopback(rendezvous.host)) {
      throw new InvalidOptionError(`--rendezvous ${rendezvous.host}: a rendezvous beyond this machine needs a shared secret in ${SECRET_ENV}, the same for every shard (the launchers set it; by hand e.g. export ${SECRET_ENV}=$(openssl rand -hex 32))`);
    }
    const server = identity.index === 0
      ? await RendezvousServer.listen(rendezvous.host, rendezvous.port, identity.count, (hello) => configDifference(config, hello.config as ResolvedSweepConfig, 'shard 0', `shard ${hello.index}`), options)
      : null;
    try {
      const client = await RendezvousClient.join(rendezvous.host, server?.port ?? rendezvous.port, { index: identity.index, count: identity.count, host: identity.host, node: identity.node, config, pid: process.pid, machine: machineKey() }, options);
      return new ShardSession(identity, `${rendezvous.host}:${rendezvous.port}`, client, server, client.sweepId);
    } catch (err) {
      await server?.close();
      throw err;
    }
  }

  get sweepId(): string {
    return this.#sweepId;
  }

  /** The hooks runSweep runs this shard with (SweepHooks.shard). */
  get hooks(): ShardHooks {
    const { index, count } = this.identity;
    return { index, count, ...this.#hooks };
  }

  readonly #hooks: Omit<ShardHooks, 'index' | 'count'> = {
    share: (clients) => shareOf(clients, this.identity.index, this.identity.count),
    start: async (label) => {
      if (this.#client === null) return now();
      return (await this.#client.barrier(label)).localAt;
    },
    gather: async (label, values) => {
      if (this.#client === null) return [[...values]];
      const s = await this.#client.barrier(label, values);
      return (s.values ?? []).map((v) => [...v]);
    },
    release: async (p) => {
      if (this.#client === null) return now();
      this.#last = await this.#client.barrier(`${p.design}/${p.workload}/N=${p.clients}/run ${p.run}`);
      return this.#last.localAt;
    },
    sync: (run) => {
      if (this.#client === null) return { agreedReleaseAt: run.releaseAt, releaseErrorMs: 0, clockOffsetMs: 0, rttMs: 0 };
      const s = this.#last;
      if (s === null) return undefined;
      return { agreedReleaseAt: round3(s.agreedAt), releaseErrorMs: round3(run.releaseAt - s.localAt), clockOffsetMs: round3(s.offsetMs), rttMs: round3(s.rttMs) };
    },
    cohosted: () => visiblePids(this.#client?.cohosted ?? []),
  };

  /** Records the shard's identity in its results. */
  annotate(results: SweepResults): SweepResults {
    const { index, count, source, host, node } = this.identity;
    return { ...results, shard: { index, count, source, sweepId: this.#sweepId, host, node, rendezvous: this.rendezvous } };
  }

  /** Leaves the rendezvous; shard 0 then waits (bounded) for the others to leave too. */
  async close(): Promise<void> {
    this.#client?.close();
    await this.#server?.close();
  }
}
