/**
 * Entry of a server-mp child process (a tsup entry of its own: dist/entry/child.js). The parent hands
 * it accepted sockets; it owns and serves them entirely (reads, runs tasks, writes) on its own event
 * loop, with the same executor the other designs call. A `per-connection` child serves one client at a
 * time and exits after `maxConnections` of them (1: when its one client leaves, the lesson's child), or
 * when the parent retires it (a drain); a `pool` child serves many clients at once until told to drain.
 * Nothing of a connection outlives it here: each is served by its own connection object and counters.
 */
import type { Socket } from 'node:net';
import { ShuttingDownError } from '@socketlab/protocol';
import { SocketHost, watchParent } from '@socketlab/protocol/server';
import { DRAIN_SIGNAL, isBranded, type ChildConfig, type FromChild, type ToChild } from '../messages.ts';

// No orphans, first of all: when the parent goes (even by SIGKILL, even before we are set up), so do we.
watchParent(() => process.exit(0));
if (!process.send) throw new Error('@socketlab/server-mp: entry/child.js must be started with an IPC channel (child_process.fork)');
const send = (msg: FromChild) => process.send!(msg);
const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const connections = new SocketHost(config, { design: 'mp', strategy: config.strategy }, { pid: process.pid });
let draining = false;
let served = 0;

function exitWhenIdle(): void {
  if (connections.size === 0) process.exit(0);
}

/** A connection is over: a per-connection child that has served its last one goes (the parent expects it). */
function closed(id: number, tasks: number, errors: number): void {
  send({ __socketlab__: true, type: 'closed', id, tasks, errors });
  served++;
  const last = config.strategy === 'per-connection' && config.maxConnections !== 0 && served >= config.maxConnections;
  if (last || draining) exitWhenIdle();
}

process.on('message', (msg: ToChild, handle?: Socket) => {
  if (!isBranded(msg)) return;
  if (msg.type === 'connection' && handle) {
    void connections.serve(handle, msg.head ? Buffer.from(msg.head, 'base64') : null).then((counters) => closed(msg.id, counters.tasks, counters.errors));
  } else if (msg.type === 'connection') {
    // The client was gone before its socket could be sent (Node then sends the message without the
    // handle): nothing to serve. Say so; it counts as a connection served.
    closed(msg.id, 0, 0);
  } else if (msg.type === 'drain') {
    drain();
  }
});

function drain(): void {
  draining = true;
  connections.shutdownAll();
  exitWhenIdle();
}

// The drain also comes as a signal (DRAIN_SIGNAL), which overtakes the channel: a message queues behind
// every socket the parent is still handing us, each waiting for our acknowledgement, and a child busy
// with a blocking task takes one per turn; the tasks of clients handed meanwhile would all run first.
process.on(DRAIN_SIGNAL, drain);

// Ctrl-C in a terminal sends SIGINT to the whole process group, children included. The parent turns
// it into a graceful drain and tells us (a 'drain' message); dying here would cut our clients short.
process.on('SIGINT', () => {});

// Stopped by the parent after its drain timeout: tell each client why (one ERR for its oldest pending
// request), give the replies a moment to flush, then go.
process.on('SIGTERM', () => {
  connections.destroyAll(new ShuttingDownError('drain timeout passed; the server is closing'));
  exitWhenIdle();
  setTimeout(() => process.exit(0), 500).unref();
});

send({ __socketlab__: true, type: 'ready' });
