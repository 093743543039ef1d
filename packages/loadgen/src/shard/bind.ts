import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { ShardRendezvousError } from '../errors.ts';

/** True for an address or name that stays on this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The one address shard 0 listens on for `--rendezvous host:port`: the host itself when it is a loopback
 * address; else the first address the name resolves to that belongs to one of this machine's interfaces (a Slurm node's
 * name, a pod's DNS name under its headless Service). Never every interface: a name that resolves to no
 * address of this machine is refused, naming what it resolved to.
 */
export async function listenAddress(host: string): Promise<string> {
  if (isLoopback(host)) return host === 'localhost' ? '127.0.0.1' : host;
  const local = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
  if (net.isIP(host)) {
    if (local.has(host)) return host;
    throw new ShardRendezvousError(`shard 0 cannot listen for the rendezvous on ${host}: not an address of this machine (--rendezvous names shard 0's own address)`);
  }
  let resolved: string[];
  try {
    resolved = (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    throw new ShardRendezvousError(`shard 0 cannot resolve the rendezvous host ${JSON.stringify(host)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // An address of a network interface first: a node's own name may also resolve to 127.0.1.1 (Debian's /etc/hosts).
  const mine = resolved.find((a) => local.has(a) && !isLoopback(a)) ?? resolved.find((a) => isLoopback(a));
  if (mine === undefined) {
    throw new ShardRendezvousError(`shard 0 cannot listen for the rendezvous on ${host}: it resolves to ${resolved.join(', ')}, none an address of this machine (--rendezvous names shard 0's own address)`);
  }
  return mine;
}
