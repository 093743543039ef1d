// Shared helpers for the benchmark scripts: start a server CLI as its own process, and read the
// CPU time, memory and thread count of its whole process tree from /proc (Linux).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TICK_MS = 10; // USER_HZ = 100 on Linux

export const VARIANTS = {
  'single-iterative': ['server-single', ['--mode', 'iterative']],
  'single-event-loop': ['server-single', ['--mode', 'event-loop']],
  'mp-per-connection': ['server-mp', ['--strategy', 'per-connection']],
  'mp-pool': ['server-mp', ['--strategy', 'pool']],
  'mt-per-connection': ['server-mt', ['--strategy', 'per-connection']],
  'mt-pool': ['server-mt', ['--strategy', 'pool']],
};

/** Starts a server variant (or any node script printing "... on HOST:PORT...") and resolves with its pid and port. */
export function startProcess(args, env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let buf = '';
    const onData = (d) => {
      buf += d;
      const m = /(?:running|listening) on [\d.]+:(\d+)/.exec(buf);
      if (m) {
        proc.stdout.off('data', onData);
        proc.stdout.resume(); // keep draining, ignore
        resolve({ proc, pid: proc.pid, port: Number(m[1]), stop: () => stopProcess(proc) });
      }
    };
    proc.stdout.setEncoding('utf8').on('data', onData);
    proc.once('exit', (code) => reject(new Error(`process exited (${code}) before listening: ${args.join(' ')}`)));
  });
}

export function startVariant(name, extra = [], env = {}) {
  const [pkg, flags] = VARIANTS[name];
  // --pool-size only exists on the designs that have pools.
  if (pkg === 'server-single') {
    const i = extra.indexOf('--pool-size');
    if (i !== -1) extra = [...extra.slice(0, i), ...extra.slice(i + 2)];
  }
  return startProcess([`${ROOT}packages/${pkg}/bin.js`, '--port', '0', '--quiet', ...flags, ...extra], env);
}

export function stopProcess(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

function readStat(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
}

function readStatus(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s) ?? [])[1] ?? 0);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024, threads: kb('Threads') };
}

/** pid and every descendant alive now. */
export function processTree(root) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      parent.set(Number(d), readStat(d).ppid);
    } catch {
      /* exited meanwhile */
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/**
 * CPU (user+sys, ms) of the tree: live processes' own time, plus the root's cutime/cstime, which
 * holds every child it has already reaped (per-connection mp children come and go).
 */
export function treeUsage(root) {
  let cpuMs = 0;
  let rss = 0;
  let threads = 0;
  const pids = processTree(root);
  for (const pid of pids) {
    try {
      const st = readStat(pid);
      cpuMs += (st.utime + st.stime) * TICK_MS;
      if (pid === root) cpuMs += (st.cutime + st.cstime) * TICK_MS;
      const ss = readStatus(pid);
      rss += ss.rss;
      threads += ss.threads;
    } catch {
      /* exited meanwhile */
    }
  }
  return { cpuMs, rss, threads, processes: pids.length };
}

/** Runs the load generator (load.mjs) in its own process and resolves with its JSON result. */
export function runLoad(spec) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(new URL('./load.mjs', import.meta.url)), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load.mjs exited ${code}: ${out}`))));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
