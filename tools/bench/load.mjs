// The benchmark's load generator, run as its own process so its CPU never counts as the server's.
// Raw sockets and newline counting keep its own cost per request small.
import net from 'node:net';

const spec = JSON.parse(process.argv[2]);
const { port, host = '127.0.0.1' } = spec;

function open() {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host });
    s.setNoDelay(true);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Each client: connect, one request, EXIT, wait for close. `concurrency` clients at a time. */
async function requestExit() {
  let errors = 0;
  let next = 0;
  const one = async () => {
    const s = await open();
    await new Promise((resolve) => {
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d) => (buf += d));
      s.on('error', () => {});
      s.on('close', () => {
        if (!buf.endsWith('OK Goodbye!\n') || !buf.startsWith(spec.expect)) errors++;
        resolve();
      });
      s.write(`${spec.request}\nEXIT\n`);
    });
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: spec.concurrency }, async () => {
    while (next++ < spec.clients) await one().catch(() => errors++);
  }));
  return { clients: spec.clients, errors, wallMs: performance.now() - t0 };
}

/**
 * `connections` connections, each with `depth` requests in flight (default 1; more is pipelining: the
 * first `depth` go out in one write, then one more per reply), for `durationMs`.
 */
async function closedLoop() {
  const sockets = await Promise.all(Array.from({ length: spec.connections }, open));
  const line = Buffer.from(`${spec.request}\n`);
  const first = Buffer.from(`${spec.request}\n`.repeat(spec.depth ?? 1));
  let count = 0;
  let replies = 0; // warm-up included: what the server's CPU, sampled around the whole run, paid for
  let measuring = false;
  let running = true;
  for (const s of sockets) {
    s.on('data', (d) => {
      let n = 0;
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) n++;
      replies += n;
      if (measuring) count += n;
      if (running) for (let i = 0; i < n; i++) s.write(line);
    });
    s.on('error', () => {});
    s.write(first);
  }
  await new Promise((r) => setTimeout(r, spec.warmupMs ?? 500));
  const cpu0 = process.cpuUsage();
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, spec.durationMs));
  measuring = false;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  running = false;
  for (const s of sockets) s.destroy();
  return { requests: count, replies, wallMs, rate: (count * 1000) / wallMs, loadCpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Opens `connections` idle connections, reports, waits for 'go' on stdin... (driven by timings instead). */
async function manyConnections() {
  const sockets = [];
  let connectErrors = 0;
  for (let i = 0; i < spec.connections; i += 500) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(500, spec.connections - i) }, open));
    for (const r of batch) (r.status === 'fulfilled' ? sockets.push(r.value) : connectErrors++);
  }
  // Tell the coordinator the idle connections are up, then wait for it to measure memory.
  process.stdout.write(JSON.stringify({ phase: 'idle', open: sockets.length, connectErrors }) + '\n');
  await new Promise((r) => setTimeout(r, spec.idleMs));
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(sockets.map((s) => new Promise((resolve) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) {
        if (buf === `OK ${spec.waitMs}\n`) ok++;
        else errors++;
        s.destroy();
        resolve();
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (!buf.includes('\n')) {
        errors++;
        resolve();
      }
    });
    s.write(`WAIT ${spec.waitMs}\n`);
  })));
  return { phase: 'done', open: sockets.length, connectErrors, ok, errors, wallMs: performance.now() - t0 };
}

/** `connections` clients connect, each gets one reply, then all stay connected for `holdMs`. */
async function holdOpen() {
  const sockets = await Promise.all(Array.from({ length: spec.connections }, open));
  await Promise.all(sockets.map((s) => new Promise((resolve) => {
    s.once('data', resolve);
    s.write(`${spec.request}\n`);
  })));
  await new Promise((r) => setTimeout(r, spec.holdMs));
  for (const s of sockets) s.destroy();
  return { connections: sockets.length };
}

/**
 * The floor of a protocol client, for tools/bench/generator-cost.mjs: `connections` connections from one
 * process, each sends `PING` and waits for `OK PONG`, `requests` times, then `EXIT` and waits for
 * `OK Goodbye!` and the server's close. Every reply is compared byte for byte (a wrong one is counted),
 * with no decoder, no histogram, no per-request allocation: what any client must at least spend.
 * `passes` runs it again on fresh connections; the last pass is the one reported (the first ones warm the JIT up).
 */
async function pingExit() {
  const PING = Buffer.from('PING\n');
  const EXIT = Buffer.from('EXIT\n');
  const PONG = Buffer.from('OK PONG\n');
  const GOODBYE = Buffer.from('OK Goodbye!\n');
  const pass = () => {
    let errors = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const one = () => new Promise((resolve) => {
      const s = net.connect({ port, host });
      s.setNoDelay(true);
      let left = spec.requests;
      let held = null; // an incomplete reply line
      s.on('connect', () => s.write(left > 0 ? PING : EXIT));
      s.on('data', (d) => {
        if (held) d = Buffer.concat([held, d]);
        if (d[d.length - 1] !== 10) return void (held = d);
        held = null;
        if (left > 0) {
          if (!d.equals(PONG)) errors++;
          s.write(--left > 0 ? PING : EXIT);
        } else {
          if (!d.equals(GOODBYE)) errors++;
          s.end();
        }
      });
      s.on('error', () => errors++);
      s.on('close', resolve);
    });
    return Promise.all(Array.from({ length: spec.connections }, one)).then(() => {
      const cpu = process.cpuUsage(cpu0);
      return { errors, wallMs: performance.now() - t0, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 };
    });
  };
  let last;
  for (let i = 0; i < (spec.passes ?? 1); i++) last = await pass();
  return { connections: spec.connections, requests: spec.requests, ...last };
}

const modes = { requestExit, closedLoop, manyConnections, holdOpen, pingExit };
const result = await modes[spec.mode]();
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
