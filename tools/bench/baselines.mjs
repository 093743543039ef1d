// Node's own floors, measured in the same run as the servers:
// - `echo`: a bare node:net server that writes back what it reads (the PING throughput ceiling);
// - `ping`: a bare server answering PING and EXIT (behind generator-cost.mjs);
// - `fork N` / `worker N`: CPU per bare child process / worker thread started and stopped.
import net from 'node:net';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [mode, countArg] = process.argv.slice(2);

function selfAndChildrenCpuMs() {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

if (mode === 'echo') {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}...`));
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'ping') {
  // A bare protocol server for PING and EXIT only (text framing, one line at a time): the server with the
  // least CPU of its own behind tools/bench/generator-cost.mjs.
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    let buf = '';
    s.setEncoding('latin1');
    s.on('data', (d) => {
      buf += d;
      for (let lf = buf.indexOf('\n'); lf !== -1; lf = buf.indexOf('\n')) {
        const line = buf.slice(0, lf);
        buf = buf.slice(lf + 1);
        if (line === 'PING') s.write('OK PONG\n');
        else if (line === 'EXIT') return void s.end('OK Goodbye!\n');
        else s.write('ERR SOCKETLAB_ERR_UNKNOWN_COMMAND only PING and EXIT here\n');
      }
    });
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}...`));
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'lesson') {
  // The lesson's server at its barest in Node: one thread, no framing, no limits; SLEEP blocks like
  // time.sleep. The floor for "server CPU per client" on this machine.
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const server = net.createServer((s) => {
    s.on('data', (d) => {
      const text = d.toString();
      const m = /SLEEP (\d+)/.exec(text);
      if (m) {
        Atomics.wait(cell, 0, 0, Number(m[1]));
        s.write(`OK ${m[1]}\n`);
      }
      if (text.includes('EXIT')) s.end('OK Goodbye!\n');
    });
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}...`));
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'child') {
  // The bare child: an IPC channel, nothing loaded; it says ready and exits when told to.
  process.send('ready');
  process.on('message', () => process.exit(0));
} else if (mode === 'fork' || mode === 'worker') {
  const n = Number(countArg ?? 40);
  // Same pattern as the server benchmark: `concurrency` started-and-stopped at a time.
  const concurrency = Number(process.argv[4] ?? 1);
  const self = fileURLToPath(import.meta.url);
  const cpu0 = selfAndChildrenCpuMs();
  const t0 = performance.now();
  let next = 0;
  const one = async () => {
    if (mode === 'fork') {
      const child = fork(self, ['child'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      await new Promise((r) => child.once('message', r));
      child.send('exit');
      await new Promise((r) => child.once('exit', r));
    } else {
      const w = new Worker('require("node:worker_threads").parentPort.postMessage("ready")', { eval: true, execArgv: [] });
      await new Promise((r) => w.once('message', r));
      await w.terminate();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) await one();
  }));
  const wall = performance.now() - t0;
  // cutime/cstime are updated once children are reaped: give the last one a moment.
  await new Promise((r) => setTimeout(r, 100));
  console.log(JSON.stringify({ mode, n, cpuMsPer: (selfAndChildrenCpuMs() - cpu0) / n, wallMsPer: wall / n }));
}
