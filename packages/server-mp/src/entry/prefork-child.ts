/**
 * Entry of a server-mp `prefork` child (a tsup entry of its own: dist/entry/prefork-child.cjs). Unlike
 * the other strategies' children, it gets its connections without the parent handing them over: it
 * listens itself, and
 *  - `rr` / `os`: it is a node:cluster worker, so its listen() goes through the cluster primary (our
 *    parent): with SCHED_RR the primary accepts and sends each connection to a worker in turn; with
 *    SCHED_NONE every worker gets the one shared listening socket and the kernel wakes one of them;
 *  - `reuseport`: it is a plain child process that binds its own listening socket on the shared port
 *    with `reusePort: true` (SO_REUSEPORT); the kernel spreads connections over the sockets by hash.
 * It serves what it accepts on its own event loop with the shared SocketHost (as a `pool` child does),
 * and tells the parent about each connection (see ../prefork.ts for why a copy of the socket goes too,
 * unless crashAnswer is `off`).
 */
import net, { type Socket } from 'node:net';
import { ShuttingDownError, TooManyConnectionsError } from '@socketlab/protocol';
import { LateClients, Logger, SocketHost, closeAfterPending, rejectSocket, watchParent } from '@socketlab/protocol/server';
import { PREFORK_CONFIG_ENV, isBranded, type FromPreforkChild, type PreforkChildConfig, type ToPreforkChild } from '../messages.ts';

// No orphans, first of all: when the parent goes (even by SIGKILL, even while we are still starting,
// listening or in node:cluster's handshake), so do we.
watchParent(() => process.exit(0));
if (!process.send) throw new Error('@socketlab/server-mp: entry/prefork-child.cjs must be started with an IPC channel');
const send = (msg: FromPreforkChild, handle?: Socket) => {
  // keepOpen: the child goes on serving the socket; the parent only holds a copy.
  if (process.connected) process.send!(msg, handle, handle ? { keepOpen: true } : undefined, (err: Error | null) => void err);
};
const config = JSON.parse(process.env[PREFORK_CONFIG_ENV] ?? '{}') as PreforkChildConfig;
// Not inherited by anything this process might start.
delete process.env[PREFORK_CONFIG_ENV];
const host = new SocketHost(config, { design: 'mp', strategy: 'prefork' }, { pid: process.pid });
/** Clients accepted once the drain began: SHUTTING_DOWN to each request, then a clean close (no reset). */
const late = new LateClients({ ...config, logger: new Logger(config.log, { design: 'mp', strategy: 'prefork', pid: process.pid }, undefined, config.quiet) });

/**
 * `rr`: how long no connection must have been handed to this child before it stops listening at
 * shutdown, in ms. The primary holds the connections it accepted in a queue and hands them out one at a
 * time; once the last worker stops listening it closes them all (resets), so a child keeps listening
 * while hand-offs still come.
 */
const RR_HANDOFF_QUIET_MS = 100;

let permits = config.permits;
let open = 0; // admitted and not yet closed
let nextId = 1;
let draining = false;
let listening = false;
let rejecting = 0; // turned away, their ERR not yet delivered
/** Connections waiting for the parent's answer to `need` (this child had no permit left). */
const pending = new Map<number, Socket>();

// pauseOnConnect: nothing is read before the connection is admitted; allowHalfOpen as the engine's server.
const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => onConnection(socket));

function onConnection(socket: Socket): void {
  socket.on('error', () => {}); // a reset before it is served: 'close' follows
  const id = nextId++;
  if (draining) return serveLate(socket);
  if (open < permits) return admit(socket, id);
  pending.set(id, socket);
  send({ __socketlab__: true, type: 'need', id });
}

function admit(socket: Socket, id: number): void {
  open++;
  // The report goes before the first byte is read, so the parent has counted the connection (and holds
  // its copy) before the client can see any reply.
  send({ __socketlab__: true, type: 'accepted', id }, config.crashAnswer === 'off' ? undefined : socket);
  void host.serve(socket).then((counters) => {
    open--;
    send({ __socketlab__: true, type: 'closed', id, tasks: counters.tasks, errors: counters.errors });
    exitWhenIdle();
  });
}

function reject(socket: Socket, error: InstanceType<typeof TooManyConnectionsError>): void {
  // Counted by the parent before the client reads the ERR (see admit).
  send({ __socketlab__: true, type: 'rejected' });
  rejecting++;
  void rejectSocket(socket, error, 'text', config.lingerMs).then(() => {
    rejecting--;
    exitWhenIdle();
  });
}

function serveLate(socket: Socket): void {
  send({ __socketlab__: true, type: 'rejected' });
  void late.serve(socket).then(exitWhenIdle);
}

function exitWhenIdle(): void {
  if (draining && !listening && open === 0 && rejecting === 0 && pending.size === 0 && host.size === 0 && late.size === 0) process.exit(0);
}

process.on('message', (msg: ToPreforkChild) => {
  if (!isBranded(msg)) return;
  if (msg.type === 'grant') {
    const socket = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.ok) permits++;
    if (!socket) return;
    if (socket.destroyed) return exitWhenIdle();
    if (draining) serveLate(socket);
    else if (msg.ok) admit(socket, msg.id);
    else reject(socket, new TooManyConnectionsError(`server is at maxConnections`));
  } else if (msg.type === 'release') {
    // Give back every permit not in use; those asked for and not yet answered are the parent's to settle.
    const n = Math.max(0, permits - open);
    permits -= n;
    send({ __socketlab__: true, type: 'released', n });
  } else if (msg.type === 'drain') {
    draining = true;
    host.shutdownAll();
    for (const socket of pending.values()) serveLate(socket);
    pending.clear();
    if (listening) {
      // Stops accepting, once the connections already in the kernel's queue are taken (closeAfterPending:
      // closing at once would reset them); under node:cluster this also tells the primary to drop this
      // worker from the listening handle (the primary closes the port once the last worker has).
      void closeAfterPending(server, config.lingerMs, config.accept === 'rr' ? RR_HANDOFF_QUIET_MS : 0).then(() => {
        listening = false;
        exitWhenIdle();
      });
    }
    exitWhenIdle();
  }
});

// Ctrl-C reaches the whole process group; the parent turns it into a drain (see entry/child.ts).
process.on('SIGINT', () => {});

// Stopped by the parent after its drain timeout: tell each client why, give the replies a moment, go.
process.on('SIGTERM', () => {
  draining = true;
  host.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
  late.destroyAll();
  for (const socket of pending.values()) socket.destroy();
  pending.clear();
  if (host.size === 0) process.exit(0);
  setTimeout(() => process.exit(0), 500).unref();
});

server.once('error', (err: NodeJS.ErrnoException) => {
  send({ __socketlab__: true, type: 'listen-error', message: err.message, code: err.code ?? null });
  setTimeout(() => process.exit(1), 100).unref();
});
const listenOptions: net.ListenOptions = { host: config.host, port: config.port, backlog: config.backlog };
if (config.accept === 'reuseport') (listenOptions as net.ListenOptions & { reusePort: boolean }).reusePort = true;
server.listen(listenOptions, () => {
  listening = true;
  const address = server.address() as net.AddressInfo;
  // Who really accepts, observed rather than assumed: a cluster worker under SCHED_RR listens on a
  // stand-in handle with no file descriptor (the primary accepts); under SCHED_NONE, or with reusePort,
  // it holds a real listening socket. The parent checks this against what was asked.
  const handle = (server as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const selfAccept = typeof handle?.fd === 'number' && handle.fd >= 0;
  send({ __socketlab__: true, type: 'listening', address: address.address, family: address.family, port: address.port, selfAccept });
});
