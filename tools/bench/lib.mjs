// Shared helpers for the benchmark scripts: start a server CLI as its own process, and read the
// CPU time, memory and thread count of its whole process tree from /proc (Linux). The designs and the
// process-tree reader are @socketlab/results' (built: run `npx nx run-many -t build` first), so the
// bench starts the same designs loadgen does and reads CPU with the machine's real clock tick.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DESIGN_CATALOGUE, sampleTree, ticksToMs } from '../../packages/results/dist/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The six designs, by name (what the bench starts and records under). */
export const VARIANTS = DESIGN_CATALOGUE;

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

/**
 * Starts design `name` through its CLI. `root`: the checkout whose build to run (default this one); the
 * ping section passes another commit's build there for a before/after comparison in one run.
 */
export function startVariant(name, extra = [], env = {}, root = ROOT) {
  // `design+flag=value+…`: the design with more CLI flags, e.g. mp-prefork-os+crash-answer=off.
  const [base, ...more] = name.split('+');
  const design = DESIGN_CATALOGUE[base];
  if (!design) throw new Error(`unknown design ${JSON.stringify(base)} (in ${JSON.stringify(name)})`);
  extra = [...extra, ...more.flatMap((m) => { const [k, v] = m.split('='); return v === undefined ? [`--${k}`] : [`--${k}`, v]; })];
  // --pool-size only exists on the designs that run executors (server-single has none).
  if (design.executor === 'none') {
    const i = extra.indexOf('--pool-size');
    if (i !== -1) extra = [...extra.slice(0, i), ...extra.slice(i + 2)];
  }
  const dir = design.package.replace('@socketlab/', '');
  return startProcess([`${root.endsWith('/') ? root : `${root}/`}packages/${dir}/bin.js`, '--port', '0', '--quiet', ...design.flags, ...extra], env);
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

/**
 * CPU (user + system, ms), RSS (bytes), threads and processes of the tree under `root` now. CPU counts
 * each live process's own time plus its reaped children's (cutime/cstime), so per-connection mp
 * children that already exited still count.
 */
export function treeUsage(root) {
  const s = sampleTree(root);
  if (!s) return { cpuMs: 0, rss: 0, threads: 0, processes: 0 };
  return { cpuMs: ticksToMs(s.userTicks + s.systemTicks), rss: s.rssBytes, threads: s.threads, processes: s.processes.size };
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
