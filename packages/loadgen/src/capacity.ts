import net from 'node:net';
import os from 'node:os';
import { InvalidOptionError } from '@socketlab/protocol';
import { localPortRange, openFileLimit, type ResolvedSweepConfig } from '@socketlab/results';
import { ClientCapacityError } from './errors.ts';

/**
 * How many clients this machine can take, and where they connect from. Two things run out first when N
 * grows past a few thousand:
 *
 * - Ports. Every connection from one source address takes one of the kernel's ephemeral ports
 *   (`ip_local_port_range`, 32768–60999 by default: 28,232). On Linux the whole of 127.0.0.0/8 is
 *   loopback, so clients of a loopback server can connect from 127.0.0.1, 127.0.0.2, … and each address
 *   has its own set of ports.
 * - File descriptors. Each client holds one in its loadgen process, and each connection one in the server.
 *   Node raises its own soft limit to the hard one when it starts, so every process loadgen starts can
 *   have as many as loadgen itself: `openFileLimit()` of this process is what the others get.
 */

/** The option: `auto`, or the addresses themselves (client i connects from the (i mod length)-th). */
export type SourceAddressesOption = 'auto' | readonly string[];

/** Most addresses a count or a range may name: 127.0.0.1 … 127.0.0.254 is more than enough ports. */
export const MAX_SOURCE_ADDRESSES = 254;

/**
 * File descriptors a Node process holds besides its sockets (stdio, the IPC channel, epoll, libuv's
 * internal pipes; ~20 measured), with room to spare.
 */
export const FD_MARGIN = 64;

/**
 * In `auto`, the most clients one source address carries: a third of the ephemeral port range (9,410
 * with Linux's default). The ports are shared with everything else on the machine, and a connection that
 * loadgen had to cut keeps its port in TIME_WAIT for a minute; a third leaves loadgen from being the one
 * that uses them up.
 */
export function autoClientsPerAddress(range = localPortRange() ?? DEFAULT_PORT_RANGE): number {
  return Math.max(1, Math.floor((range.high - range.low + 1) / 3));
}

/** Linux's default ip_local_port_range, used when /proc cannot be read. */
const DEFAULT_PORT_RANGE = Object.freeze({ low: 32768, high: 60999 });

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** True if `address` is IPv4 loopback (127.0.0.0/8). */
export function isLoopbackV4(address: string): boolean {
  return net.isIPv4(address) && address.startsWith('127.');
}

/** The first `count` addresses of loopback: 127.0.0.1 … 127.0.0.count. */
export function loopbackAddresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
}

/**
 * Parses `--source-addresses`: `auto`; a count `N` (127.0.0.1 … 127.0.0.N); or a comma-separated list
 * of addresses and IPv4 ranges `A-B` (`127.0.0.1-127.0.0.8,127.0.1.1`). Only the syntax is checked
 * here; checkSourceAddresses() checks the addresses.
 */
export function parseSourceAddresses(raw: string, flag = '--source-addresses'): SourceAddressesOption {
  const value = raw.trim();
  if (value === 'auto') return 'auto';
  if (/^\d+$/.test(value)) {
    const count = Number(value);
    if (count < 1 || count > MAX_SOURCE_ADDRESSES) throw new InvalidOptionError(`${flag} must be a count between 1 and ${MAX_SOURCE_ADDRESSES}, a list of addresses or ranges, or auto (got ${value})`);
    return loopbackAddresses(count);
  }
  const out: string[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const dash = part.indexOf('-');
    if (dash === -1) {
      out.push(part);
      continue;
    }
    const [from, to] = [part.slice(0, dash), part.slice(dash + 1)];
    if (!net.isIPv4(from) || !net.isIPv4(to)) throw new InvalidOptionError(`${flag}: range "${part}" must be two IPv4 addresses, like 127.0.0.1-127.0.0.8`);
    const [a, b] = [ipv4ToInt(from), ipv4ToInt(to)];
    if (b < a) throw new InvalidOptionError(`${flag}: range "${part}" must go up`);
    if (out.length + b - a + 1 > MAX_SOURCE_ADDRESSES) throw new InvalidOptionError(`${flag} names more than ${MAX_SOURCE_ADDRESSES} addresses`);
    for (let n = a; n <= b; n++) out.push(intToIpv4(n));
  }
  if (out.length === 0) throw new InvalidOptionError(`${flag} needs at least one address, a count, or auto`);
  return out;
}

/** True if this machine can connect from `address`: one of its interfaces' addresses, or on Linux any of 127/8. */
function isLocalAddress(address: string): boolean {
  if (process.platform === 'linux' && isLoopbackV4(address)) return true;
  return Object.values(os.networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

/**
 * Checks the option (`name` as the user wrote it): `auto`, or 1 … MAX_SOURCE_ADDRESSES distinct IP
 * addresses of this machine, of the family of `host` when `host` is an address.
 */
export function checkSourceAddresses(name: string, value: unknown, host: string): 'auto' | string[] {
  if (value === 'auto') return 'auto';
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SOURCE_ADDRESSES) {
    throw new InvalidOptionError(`${name} must be "auto" or an array of 1 to ${MAX_SOURCE_ADDRESSES} addresses (got ${Array.isArray(value) ? `${value.length} items` : JSON.stringify(value)})`);
  }
  const family = net.isIP(host);
  const seen = new Set<string>();
  return value.map((address: unknown, i) => {
    const at = `${name}[${i}]`;
    if (typeof address !== 'string' || net.isIP(address) === 0) throw new InvalidOptionError(`${at} must be an IP address (got ${JSON.stringify(address)})`);
    if (family !== 0 && net.isIP(address) !== family) throw new InvalidOptionError(`${at} ${address} is IPv${net.isIP(address)}, but the clients connect to IPv${family} ${host}`);
    if (seen.has(address)) throw new InvalidOptionError(`${at} repeats ${address}; each address may appear once`);
    if (!isLocalAddress(address)) throw new InvalidOptionError(`${at} ${address} is not an address of this machine${isLoopbackV4(address) ? ' (only Linux has all of 127/8 on loopback)' : ''}`);
    seen.add(address);
    return address;
  });
}

/**
 * The addresses a run of `clients` clients to `host` connects from: the list given; or, in `auto`, none
 * (the OS picks) unless the target is IPv4 loopback on Linux and the clients are more than one address
 * should carry (autoClientsPerAddress()): then as many of 127.0.0.1, 127.0.0.2, … as they need.
 */
export function sourceAddressesFor(option: SourceAddressesOption, host: string, clients: number, perAddress = autoClientsPerAddress()): string[] {
  if (option !== 'auto') return [...option];
  if (process.platform !== 'linux' || !isLoopbackV4(host) || clients <= perAddress) return [];
  return loopbackAddresses(Math.min(MAX_SOURCE_ADDRESSES, Math.ceil(clients / perAddress)));
}

/** What the capacity check reads from the machine (a parameter so that tests can state it). */
export interface MachineLimits {
  /** Open files per process (the soft limit loadgen runs with, which its children get); null = unlimited. */
  openFiles: number | null;
  /** ip_local_port_range; null if unknown. */
  portRange: { low: number; high: number } | null;
}

export function machineLimits(): MachineLimits {
  return { openFiles: openFileLimit()?.soft ?? null, portRange: localPortRange() };
}

/**
 * Throws ClientCapacityError, before anything starts, if some N of the sweep needs more file descriptors
 * in one process, or more ports from one source address, than this machine allows.
 */
export function checkClientCapacity(cfg: Pick<ResolvedSweepConfig, 'clients' | 'clientMode' | 'loadgenWorkers' | 'designs' | 'host' | 'sourceAddresses'>, limits: MachineLimits = machineLimits()): void {
  const n = Math.max(...cfg.clients);
  const processes = cfg.clientMode === 'workers' ? Math.min(cfg.loadgenWorkers, n) : n;
  const perClientProcess = Math.ceil(n / processes) + FD_MARGIN;
  // A server loadgen starts holds every connection: the single-process designs and server-mt in one process.
  const server = cfg.designs.includes('external') ? 0 : n + FD_MARGIN;
  const need = Math.max(perClientProcess, server);
  if (limits.openFiles !== null && need > limits.openFiles) {
    const who = server > perClientProcess ? `the server needs about ${server} (one per client, plus ${FD_MARGIN})` : `each of ${processes} client process(es) needs about ${perClientProcess}`;
    throw new ClientCapacityError(
      `N = ${n} clients: ${who} open files, but this machine allows ${limits.openFiles} per process (ulimit -n; Node raises its soft limit to the hard one). ` +
        `Raise the hard limit (ulimit -Hn, LimitNOFILE= for a systemd service, /etc/security/limits.conf)${server > perClientProcess ? '' : ' or use more --loadgen-workers'}, or sweep fewer clients.`,
    );
  }
  if (limits.portRange === null) return;
  const ports = limits.portRange.high - limits.portRange.low + 1;
  const addresses = Math.max(1, sourceAddressesFor(cfg.sourceAddresses ?? 'auto', cfg.host, n, autoClientsPerAddress(limits.portRange)).length);
  if (n > addresses * ports) {
    throw new ClientCapacityError(
      `N = ${n} clients need ${n} local ports, but ${addresses} source address(es) give ${addresses * ports} (ip_local_port_range ${limits.portRange.low}–${limits.portRange.high}: ${ports} per address). ` +
        `Connect from more addresses (--source-addresses ${Math.min(MAX_SOURCE_ADDRESSES, Math.ceil(n / ports))} for 127.0.0.1 … on Linux loopback), or widen the range (sysctl net.ipv4.ip_local_port_range).`,
    );
  }
}
