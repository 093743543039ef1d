// An independent barrier client, to check loadgen's clock against: one process, plain node:net, no
// loadgen code. It opens N connections, waits until every one is connected, then sends the task on all
// of them at once (the release), and on each connection: task → its reply → EXIT → `Goodbye!`. It prints
// one JSON line: release → the last `Goodbye!` (totalMs), and what went wrong, if anything.
//
//   node tools/bench/barrier-client.mjs --port 5000 --clients 10 --request "SLEEP 300"
import net from 'node:net';
import { parseArgs } from 'node:util';

const HELP = `Usage: node tools/bench/barrier-client.mjs --port <n> [options]

Opens --clients connections to --host:--port, waits until all are connected, then sends --request on
every one at once and EXIT after its reply. Prints JSON: { totalMs, connectMs, clients, errors, ... },
totalMs = release → the last "OK Goodbye!" (ms).

  --host <addr>          default 127.0.0.1 (loopback only: this is a local benchmark)
  --port <n>             the server's port (required)
  --clients <n>          connections, default 10
  --request <line>       the task each client sends once, default "SLEEP 300"
  --timeout-ms <ms>      give up on the whole run after this long, default 600000
  -h, --help`;

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    clients: { type: 'string', default: '10' },
    request: { type: 'string', default: 'SLEEP 300' },
    'timeout-ms': { type: 'string', default: '600000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const usage = (message) => {
  console.error(`barrier-client: ${message}\n\n${HELP}`);
  process.exit(2);
};
const port = Number(values.port);
const clients = Number(values.clients);
const timeoutMs = Number(values['timeout-ms']);
if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`--port must be a port number (got ${JSON.stringify(values.port)})`);
if (!Number.isInteger(clients) || clients < 1 || clients > 20_000) usage(`--clients must be an integer from 1 to 20000 (got ${JSON.stringify(values.clients)})`);
if (!Number.isInteger(timeoutMs) || timeoutMs < 1) usage(`--timeout-ms must be a positive integer (got ${JSON.stringify(values['timeout-ms'])})`);

/** One connection: resolves with the socket once connected (the handshake, which the kernel completes even for a backlog entry). */
function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: values.host, port });
    socket.setNoDelay(true);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** After the release: the task, its reply, EXIT, `Goodbye!`. Resolves with the time of `Goodbye!` or an error text. */
function converse(socket) {
  return new Promise((resolve) => {
    let buffered = '';
    let step = 0; // 0: awaiting the task's reply, 1: awaiting Goodbye!
    const finish = (result) => {
      socket.removeAllListeners('data');
      socket.end();
      resolve(result);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (step === 0) {
          if (!line.startsWith('OK')) return finish({ error: `task reply: ${line}` });
          step = 1;
          socket.write('EXIT\n');
        } else {
          return finish(line === 'OK Goodbye!' ? { doneAt: performance.now() } : { error: `EXIT reply: ${line}` });
        }
      }
    });
    socket.on('error', (err) => resolve({ error: err.code ?? err.message }));
    socket.on('close', () => resolve({ error: 'closed before Goodbye!' }));
    socket.write(`${values.request}\n`);
  });
}

const guard = setTimeout(() => {
  console.error(`barrier-client: not done within ${timeoutMs} ms`);
  process.exit(1);
}, timeoutMs);

const t0 = performance.now();
const sockets = await Promise.all(Array.from({ length: clients }, connect)).catch((err) => {
  console.error(`barrier-client: connect failed: ${err.code ?? err.message}`);
  process.exit(1);
});
const connectMs = performance.now() - t0;
// The release: every task written in one synchronous loop, the clock started just before.
const releaseAt = performance.now();
const outcomes = await Promise.all(sockets.map(converse));
clearTimeout(guard);
const errors = outcomes.filter((o) => o.error).map((o) => o.error);
const done = outcomes.filter((o) => o.doneAt !== undefined).map((o) => o.doneAt - releaseAt);
console.log(JSON.stringify({
  clients,
  request: values.request,
  connectMs: Math.round(connectMs * 1000) / 1000,
  totalMs: done.length ? Math.round(Math.max(...done) * 1000) / 1000 : null,
  completed: done.length,
  errors,
}));
