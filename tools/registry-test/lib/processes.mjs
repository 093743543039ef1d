// Child processes: spawned in groups of their own, bounded in time, tracked for cleanup.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { secs } from './output.mjs';
import { state } from './state.mjs';

/** Environment for npm as a fresh user: no npm_* variables inherited from an `npm run` parent. */
export function baseEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'INIT_CWD' || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  // Loopback traffic must never go through a proxy.
  if (Object.keys(env).some((k) => /^(https?|all)_proxy$/i.test(k))) {
    const extraNoProxy = '127.0.0.1,localhost';
    env.NO_PROXY = env.no_proxy = [env.NO_PROXY ?? env.no_proxy, extraNoProxy].filter(Boolean).join(',');
  }
  return { ...env, ...extra };
}

/** Spawns in its own process group (so a timeout can end the whole tree) and tracks it for cleanup. */
export function spawnTracked(cmd, args, options) {
  // After a global timeout, main() may still be running: it must not start anything new.
  if (state.stopping) throw new Error(`not starting \`${cmd} ${args.join(' ')}\`: the run is state.stopping`);
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  state.children.add(child); // kept until cleanup, which signals each group again
  return child;
}

/**
 * Signals the process group a tracked child leads (spawned detached), even after the leader exited:
 * `npx` can exit and leave the server it started running in its group.
 */
export function killTree(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* no process left in the group */
  }
}

export function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Runs a command to completion (bounded); resolves with its exit code and output, never rejects. */
export function run(cmd, args, { cwd, env = baseEnv(), timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawnTracked(cmd, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child, 'SIGTERM');
      setTimeout(() => killTree(child, 'SIGKILL'), 2000).unref();
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${err.message}`, timedOut, ms: performance.now() - start });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // Every end of its stdio is closed, so nothing it started is left holding them: done with its group.
      if (!timedOut) state.children.delete(child);
      resolve({ code: code ?? -1, signal, stdout, stderr, timedOut, ms: performance.now() - start });
    });
  });
}

/** Like run(), but throws a readable error unless the command exits 0. */
export async function runOk(cmd, args, options) {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${secs(options?.timeoutMs ?? 120_000)}` : `exit code ${r.code}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${why}\n${stripNoise(r.stdout + r.stderr)}`);
  }
  return r;
}

// This machine's user npmrc has `nodedir`, which npm 11 warns about on every command; it is noise here,
// and so are colour codes (changesets colours its output even without a TTY).
export const stripNoise = (text) =>
  text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => !/Unknown (user|global) config "nodedir"/.test(l))
    .join('\n');

/** Every live descendant of a process (Linux /proc); [] elsewhere. */
export function descendants(rootPid) {
  if (!fs.existsSync('/proc')) return [];
  const byParent = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!byParent.has(ppid)) byParent.set(ppid, []);
      byParent.get(ppid).push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [];
  const queue = [rootPid];
  while (queue.length) for (const c of byParent.get(queue.shift()) ?? []) out.push(c), queue.push(c);
  return out;
}

export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'; // a zombie is gone, just not reaped yet
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

export async function waitGone(pids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  return left;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
