/**
 * Entry of a server-mp child process (a tsup entry of its own: dist/entry/child.js). The parent hands
 * it accepted sockets; it owns and serves them entirely (reads, runs tasks, writes) on its own event
 * loop, with the same executor the other designs call. A `per-connection` child exits when its one
 * client leaves; a `pool` child serves many clients until told to drain.
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

function exitWhenIdle(): void {
  if (connections.size === 0) process.exit(0);
}

process.on('message', (msg: ToChild, handle?: Socket) => {
  if (!isBranded(msg)) return;
  if (msg.type === 'connection' && handle) {
    void connections.serve(handle, msg.head ? Buffer.from(msg.head, 'base64') : null).then((counters) => {
      send({ __socketlab__: true, type: 'closed', id: msg.id, tasks: counters.tasks, errors: counters.errors });
      if (config.strategy === 'per-connection' || draining) exitWhenIdle();
    });
  } else if (msg.type === 'connection') {
    // The client was gone before its socket could be sent (Node then sends the message without the
    // handle): nothing to serve. Say so, and a per-connection child has no reason to live.
    send({ __socketlab__: true, type: 'closed', id: msg.id, tasks: 0, errors: 0 });
    if (config.strategy === 'per-connection' || draining) exitWhenIdle();
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
