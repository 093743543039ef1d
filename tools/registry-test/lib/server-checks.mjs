// A server bin, as a stranger runs it: start it with npx, talk to it over plain node:net, stop it.
import net from 'node:net';
import { secs } from './output.mjs';
import { cmdline, descendants, killTree, spawnTracked, stripNoise, waitExit, waitGone } from './processes.mjs';

export function tcpConversation(port, requests, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const replies = [];
    let buf = '';
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete conversation within ${secs(timeoutMs)}; replies so far: ${JSON.stringify(replies)}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${requests[0]}\n`));
    socket.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        replies.push(buf.slice(0, nl + 1));
        buf = buf.slice(nl + 1);
        if (replies.length < requests.length) socket.write(`${requests[replies.length]}\n`);
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`socket error: ${err.message}; replies so far: ${JSON.stringify(replies)}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ replies, trailing: buf });
    });
  });
}

export async function smokeServerBin(bin, consumer, env) {
  const child = spawnTracked('npx', ['--no-install', bin, '--port', '0'], { cwd: consumer, env });
  let out = '';
  const onData = (d) => (out += d);
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  try {
    const port = await new Promise((resolve, reject) => {
      const re = /Server is running on 127\.0\.0\.1:(\d+)\.\.\./;
      const timer = setTimeout(() => reject(new Error(`no listening line within 30 s; output:\n${stripNoise(out)}`)), 30_000);
      const look = () => {
        const m = re.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited (code ${code}) before listening; output:\n${stripNoise(out)}`));
      });
    });
    const { replies, trailing } = await tcpConversation(port, ['PING', 'FIB 10', 'EXIT']);
    const want = ['OK PONG\n', 'OK 55\n', 'OK Goodbye!\n'];
    if (JSON.stringify(replies) !== JSON.stringify(want) || trailing) {
      throw new Error(`replies ${JSON.stringify(replies)}${trailing ? ` + ${JSON.stringify(trailing)}` : ''}, expected ${JSON.stringify(want)}`);
    }
    // Signal the server itself: npx (npm 11) does not forward SIGTERM to the command it runs; it exits
    // and leaves the command running.
    const tree = descendants(child.pid);
    const server = tree.find((pid) => cmdline(pid).some((arg) => arg.endsWith(`/.bin/${bin}`) || arg.endsWith(`/${bin}`)));
    if (!server) throw new Error(`cannot find the server process among npx's descendants: ${tree.map((p) => `${p}: ${cmdline(p).join(' ')}`).join('; ')}`);
    process.kill(server, 'SIGTERM');
    const exit = await waitExit(child, 15_000);
    if (!exit) throw new Error(`still running 15 s after SIGTERM to the server (pid ${server}); output:\n${stripNoise(out)}`);
    const left = await waitGone(tree, 5000);
    if (left.length) throw new Error(`npx exited but ${left.length} process(es) it started are still running: ${left.join(', ')}`);
    if (exit.code !== 0) throw new Error(`exit code ${exit.code}${exit.signal ? ` (signal ${exit.signal})` : ''} after SIGTERM, expected 0; output:\n${stripNoise(out)}`);
    if (!/Server closed\./.test(out)) throw new Error(`no "Server closed." line after SIGTERM; output:\n${stripNoise(out)}`);
    return `port ${port}; ${want.map((w) => w.trim()).join(' / ')}; server pid ${server} exited 0 on SIGTERM, npx and ${tree.length} process(es) under it gone`;
  } finally {
    killTree(child, 'SIGKILL');
  }
}

// Loaded both as .mjs (MODE import) and .cjs (MODE require): every export point loads, and each package
// that exports startServer() serves a request from the @socketlab/protocol client.
