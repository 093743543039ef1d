#!/usr/bin/env node
// Release test: "npm i @socketlab/server-mt works for a stranger".
//
// 1. Installs its own dependencies (verdaccio 6.10.4, see package.json) with `npm ci` if they are missing.
// 2. Starts a throwaway Verdaccio on 127.0.0.1 on a free port, storage in a temp dir; `@socketlab/*` is
//    local only, everything else is proxied to the npm registry this machine uses.
// 3. Publishes every non-private package under packages/ with the real release flow (`changeset publish`,
//    npm_config_registry + a temp userconfig holding a dummy token). It runs in a temp git repo holding a
//    copy of the workspace (package.json files + built dist), so the tags it creates and any file it
//    writes never reach this repo. A package with no build script yet is skipped ("not built yet").
// 4. In an empty temp folder, as a new user would: `npm i @socketlab/server-mt` (then the others), runs
//    each server bin (`npx socketlab-server-* --port 0`) and talks to it over plain node:net, runs the
//    other bins with --help, `import`s and `require`s every export, starts each server from its API and
//    queries it with the @socketlab/protocol client, and type-checks a .mts and a .cts consumer with
//    `tsc --noEmit` (module nodenext), plus a CommonJS one on TypeScript's legacy node10 resolution.
// 5. Stops Verdaccio and every process it started (by PID), removes its temp dirs, prints
//    `N passed, N failed[, N skipped]` last and exits non-zero on any failure.
//
// Needs the packages built first (`npm run build` or `npm test` at the repo root).
// Env: REGISTRY_TEST_TIMEOUT_MS (global bound, default 600000 = 10 min), REGISTRY_TEST_KEEP=1 keeps the
// temp dir for debugging (its path is printed).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const VERDACCIO_VERSION = JSON.parse(fs.readFileSync(new URL('./package.json', import.meta.url), 'utf8')).dependencies.verdaccio;
const GLOBAL_TIMEOUT_MS = Number(process.env.REGISTRY_TEST_TIMEOUT_MS ?? 600_000); // 10 min
const KEEP_TMP = process.env.REGISTRY_TEST_KEEP === '1';
// The TypeScript consumer pins these; they match the repo's toolchain.
const TS_VERSION = '5.9.3';
const TYPES_NODE_VERSION = '20.19.43';
const DUMMY_TOKEN = 'registry-test-dummy-token'; // Verdaccio here lets anyone publish @socketlab/*; npm only needs *a* token.

const t0 = performance.now();
const results = [];
const children = new Set();
let stopping = false;
let tmp = null;

// ---------------------------------------------------------------------------------------------- output

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const indent = (text, max = 40) => {
  const lines = String(text).trimEnd().split('\n');
  const shown = lines.length > max ? [...lines.slice(0, 10), `... (${lines.length - max} lines cut) ...`, ...lines.slice(-(max - 10))] : lines;
  return shown.map((l) => `    ${l}`).join('\n');
};

function pass(name, detail) {
  results.push({ name, status: 'pass' });
  console.log(`pass: ${name}${detail ? ` (${detail})` : ''}`);
}
function fail(name, detail) {
  results.push({ name, status: 'fail' });
  console.log(`FAIL: ${name}${detail ? `\n${indent(detail)}` : ''}`);
}
function skip(name, why) {
  results.push({ name, status: 'skip' });
  console.log(`skipped: ${name} (${why})`);
}
/** Runs one check; a thrown error fails it. Returns the check's value, or undefined when it failed. */
async function check(name, fn) {
  const start = performance.now();
  try {
    const value = await fn();
    const took = secs(performance.now() - start);
    const note = typeof value === 'string' ? value : undefined;
    pass(name, note && note.endsWith(' s') ? note : [note, took].filter(Boolean).join('; '));
    return value ?? true;
  } catch (err) {
    if (!stopping) fail(name, err instanceof Error ? err.message : String(err)); // else: the reason is already counted
    return undefined;
  }
}
function section(title) {
  console.log(`\n## ${title}`);
}

// ------------------------------------------------------------------------------------------- processes

/** Environment for npm as a fresh user: no npm_* variables inherited from an `npm run` parent. */
function baseEnv(extra = {}) {
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
function spawnTracked(cmd, args, options) {
  // After a global timeout, main() may still be running: it must not start anything new.
  if (stopping) throw new Error(`not starting \`${cmd} ${args.join(' ')}\`: the run is stopping`);
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child); // kept until cleanup, which signals each group again
  return child;
}

/**
 * Signals the process group a tracked child leads (spawned detached), even after the leader exited:
 * `npx` can exit and leave the server it started running in its group.
 */
function killTree(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* no process left in the group */
  }
}

function waitExit(child, timeoutMs) {
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
function run(cmd, args, { cwd, env = baseEnv(), timeoutMs = 120_000 } = {}) {
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
      if (!timedOut) children.delete(child);
      resolve({ code: code ?? -1, signal, stdout, stderr, timedOut, ms: performance.now() - start });
    });
  });
}

/** Like run(), but throws a readable error unless the command exits 0. */
async function runOk(cmd, args, options) {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${secs(options?.timeoutMs ?? 120_000)}` : `exit code ${r.code}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${why}\n${stripNoise(r.stdout + r.stderr)}`);
  }
  return r;
}

// This machine's user npmrc has `nodedir`, which npm 11 warns about on every command; it is noise here,
// and so are colour codes (changesets colours its output even without a TTY).
const stripNoise = (text) =>
  text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => !/Unknown (user|global) config "nodedir"/.test(l))
    .join('\n');

/** Every live descendant of a process (Linux /proc); [] elsewhere. */
function descendants(rootPid) {
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

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function alive(pid) {
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

async function waitGone(pids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  return left;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// --------------------------------------------------------------------------------------------- helpers

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const writeJson = (file, value) => fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');

/** Workspace folders from the root package.json (plain paths and trailing `/*` globs). */
function workspaceDirs(rootPkg) {
  const dirs = [];
  for (const pattern of rootPkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = path.join(REPO, pattern.slice(0, -2));
      if (!fs.existsSync(parent)) continue;
      for (const d of fs.readdirSync(parent).sort()) if (fs.existsSync(path.join(parent, d, 'package.json'))) dirs.push(path.join(pattern.slice(0, -2), d));
    } else if (fs.existsSync(path.join(REPO, pattern, 'package.json'))) {
      dirs.push(pattern);
    }
  }
  return dirs;
}

/** Every file a manifest points at: exports targets, main/module/types, bin. */
function declaredFiles(pkg) {
  const files = new Set();
  const walk = (v) => {
    if (typeof v === 'string') {
      if (v.startsWith('./') && !v.includes('*')) files.add(v.slice(2));
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(pkg.exports);
  for (const k of ['main', 'module', 'types', 'typings']) if (typeof pkg[k] === 'string') files.add(pkg[k].replace(/^\.\//, ''));
  const bin = typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : pkg.bin ?? {};
  for (const v of Object.values(bin)) files.add(v.replace(/^\.\//, ''));
  return [...files].sort();
}

const binsOf = (pkg) => Object.keys(typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : pkg.bin ?? {});

/** The subpaths a consumer can load, and whether `require()` is a supported way to load each. */
function entryPoints(pkg) {
  const exp = pkg.exports;
  const map = typeof exp === 'string' || (exp && !Object.keys(exp).some((k) => k.startsWith('.'))) ? { '.': exp } : exp ?? { '.': pkg.main ?? 'index.js' };
  const out = [];
  for (const [subpath, target] of Object.entries(map)) {
    if (subpath === './package.json' || subpath.includes('*')) continue;
    const json = subpath.endsWith('.json');
    const text = JSON.stringify(target);
    const require = json || /"require"/.test(text) || /\.cjs"/.test(text) || (typeof target === 'string' && pkg.type !== 'module' && !target.endsWith('.mjs'));
    const types = /"types"/.test(text) || /\.d\.[cm]?ts"/.test(text) || (subpath === '.' && !!pkg.types);
    out.push({ pkg: pkg.name, subpath, spec: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, json, require, types });
  }
  return out;
}

/** Files that must never ship in a tarball (STYLE §11). */
const UNWANTED = [/(^|\/)(src|test|tests|__tests__|fixtures)\//, /\.(test|spec)\.[cm]?[jt]sx?$/, /(^|\/)tsconfig[^/]*\.json$/, /(^|\/)tsup\.config\./, /\.tsbuildinfo$/, /\.tgz$/, /(^|\/)\.[^/]+$/];

function listFiles(dir, base = dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...listFiles(p, base));
    } else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

/** Sends each request, reads one reply line per request; resolves when the server closes the socket. */
function tcpConversation(port, requests, timeoutMs = 15_000) {
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

// ------------------------------------------------------------------------------------------------ steps

async function ensureOwnDeps() {
  const pkgFile = path.join(HERE, 'node_modules', 'verdaccio', 'package.json');
  const have = fs.existsSync(pkgFile) ? readJson(pkgFile).version : null;
  if (have === VERDACCIO_VERSION) {
    pass(`own deps present (verdaccio ${have})`);
    return true;
  }
  return check(`own deps installed: npm ci in tools/registry-test (verdaccio ${VERDACCIO_VERSION})`, async () => {
    await runOk('npm', ['ci', '--no-audit', '--no-fund'], { cwd: HERE, timeoutMs: 300_000 });
    const got = readJson(pkgFile).version;
    if (got !== VERDACCIO_VERSION) throw new Error(`npm ci installed verdaccio ${got}, expected ${VERDACCIO_VERSION}`);
  });
}

/** Sorts the workspace into packages to publish now and packages that do not exist yet. */
function discoverPackages(rootPkg) {
  const all = [];
  for (const dir of workspaceDirs(rootPkg)) {
    const pkg = readJson(path.join(REPO, dir, 'package.json'));
    all.push({ dir, pkg });
  }
  const publish = [];
  const notPublished = new Set(); // workspace dirs made private in the snapshot
  for (const w of all) {
    const { dir, pkg } = w;
    if (pkg.private) continue;
    if (!dir.startsWith('packages/')) {
      fail(`${pkg.name}: every non-private workspace package lives under packages/`, `${dir} is not private; mark it "private": true or move it`);
      notPublished.add(dir);
      continue;
    }
    if (!pkg.scripts?.build) {
      skip(`publish ${pkg.name}`, 'not built yet: it has no build script');
      for (const bin of binsOf(pkg)) skip(`npx ${bin}`, `not built yet: ${pkg.name} has no build script`);
      notPublished.add(dir);
      continue;
    }
    const missing = declaredFiles(pkg).filter((f) => !fs.existsSync(path.join(REPO, dir, f)));
    if (missing.length) {
      fail(`${pkg.name} is built`, `missing ${missing.join(', ')}: run \`npm run build\` at the repo root first`);
      notPublished.add(dir);
      continue;
    }
    publish.push(w);
  }
  return { all, publish, notPublished };
}

/**
 * A temp git repo with a copy of the workspace as it is on disk (manifests, .changeset, built dist), so
 * `changeset publish` tags and writes there, never in this repo. Packages not published this run are
 * marked private in the copy, so changesets leaves them out.
 */
async function makeSnapshot(dest, all, notPublished) {
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(dest, 'package.json'));
  fs.cpSync(path.join(REPO, '.changeset'), path.join(dest, '.changeset'), { recursive: true });
  const skipNames = new Set(['node_modules', '.nx', '.turbo', '.git']);
  for (const { dir } of all) {
    fs.cpSync(path.join(REPO, dir), path.join(dest, dir), {
      recursive: true,
      filter: (src) => !skipNames.has(path.basename(src)) && !src.endsWith('.tgz'),
    });
    if (notPublished.has(dir)) {
      const file = path.join(dest, dir, 'package.json');
      writeJson(file, { ...readJson(file), private: true });
    }
  }
  await runOk('git', ['init', '-q', '-b', 'main'], { cwd: dest });
  // Repo-local settings, so changesets' own `git tag -m` works without a global identity or signing setup.
  for (const [key, value] of [['user.name', 'registry-test'], ['user.email', 'registry-test@localhost'], ['commit.gpgsign', 'false'], ['tag.gpgsign', 'false']]) {
    await runOk('git', ['config', key, value], { cwd: dest });
  }
  await runOk('git', ['commit', '-q', '--allow-empty', '-m', 'registry-test snapshot'], { cwd: dest });
}

async function startVerdaccio(dir, uplink) {
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  const proxyLines = [];
  for (const key of ['http_proxy', 'https_proxy', 'no_proxy']) {
    const v = process.env[key] ?? process.env[key.toUpperCase()];
    if (v) proxyLines.push(`${key}: ${JSON.stringify(v)}`);
  }
  const env = baseEnv();
  // npm trusts its `cafile`; give Verdaccio (plain Node) the same CAs for the uplink.
  const cafile = (await run('npm', ['config', 'get', 'cafile'], { cwd: os.tmpdir() })).stdout.trim();
  if (!env.NODE_EXTRA_CA_CERTS && cafile && cafile !== 'null' && cafile !== 'undefined' && fs.existsSync(cafile)) env.NODE_EXTRA_CA_CERTS = cafile;

  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort(); // a free port, not 4873: parallel runs and a developer's own Verdaccio must not clash
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      [
        `storage: ${JSON.stringify(storage)}`,
        'auth:',
        '  htpasswd:',
        `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
        '    max_users: -1',
        'uplinks:',
        '  npmjs:',
        `    url: ${JSON.stringify(uplink)}`,
        '    timeout: 60s',
        '    max_fails: 5',
        'packages:',
        "  '@socketlab/*':",
        '    access: $all',
        '    publish: $all',
        '    unpublish: $all',
        "  '**':",
        '    access: $all',
        '    publish: $authenticated',
        '    proxy: npmjs',
        `listen: 127.0.0.1:${port}`,
        'web:',
        '  enable: false',
        'max_body_size: 100mb',
        'log: { type: stdout, format: pretty, level: warn }',
        ...proxyLines,
        '',
      ].join('\n'),
    );
    const bin = path.join(HERE, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
    const child = spawnTracked(process.execPath, [bin, '--config', config], { cwd: dir, env });
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (log += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
    const url = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return { child, url, port, log: () => log };
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    lastError = `attempt ${attempt} on port ${port}: ${child.exitCode === null ? 'no answer to /-/ping in 30 s' : `exited with ${child.exitCode}`}\n${log}`;
    killTree(child, 'SIGKILL');
    await waitExit(child, 5000);
  }
  throw new Error(lastError);
}

/** `npx <bin> --port 0`, a node:net conversation, then SIGTERM and a check that the whole tree exited. */
async function smokeServerBin(bin, consumer, env) {
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
const API_CHECK_BODY = String.raw`
const report = (name, ok, detail = '') => console.log('RESULT ' + JSON.stringify({ name: MODE + ': ' + name, ok, detail }));
const watchdog = setTimeout(() => { report('process exits by itself after every server closed', false, 'still running after 60 s'); process.exit(1); }, 60000);
watchdog.unref(); // an unref'd timer does not keep the process alive: leaked handles would
async function main() {
  const servers = [];
  for (const e of ENTRIES) {
    if (MODE === 'require' && !e.require) continue;
    try {
      const m = await load(e.spec, e.json);
      const keys = Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule');
      if (!e.json && keys.length === 0) throw new Error('loaded, but exports nothing');
      if (typeof m.startServer === 'function') servers.push(e.spec);
      report(MODE + "('" + e.spec + "')", true, e.json ? 'JSON' : keys.length + ' exports');
    } catch (err) {
      report(MODE + "('" + e.spec + "')", false, err && err.stack || String(err));
    }
  }
  const protocol = ENTRIES.find((e) => e.spec === '@socketlab/protocol') ? await load('@socketlab/protocol') : null;
  for (const spec of servers) {
    const name = spec + ' startServer({ port: 0 }) answers the @socketlab/protocol client';
    if (!protocol) { report(name, false, '@socketlab/protocol is not published'); continue; }
    let server, client;
    try {
      const { startServer } = await load(spec);
      server = await startServer({ port: 0 });
      const port = server.address.port;
      client = await protocol.connect({ port, timeoutMs: 10000 });
      const pong = await client.request('PING');
      if (pong !== 'PONG') throw new Error('PING -> ' + JSON.stringify(pong));
      const fib = await client.request('FIB 20');
      if (fib !== '6765') throw new Error('FIB 20 -> ' + JSON.stringify(fib));
      const info = await client.request('INFO');
      const pid = Number(/pid=(\d+)/.exec(info)?.[1]);
      const thread = Number(/thread=(\d+)/.exec(info)?.[1]);
      // Where the task ran proves the design's worker entry (dist/entry/*.js) loaded from the installed package.
      if (spec.endsWith('server-mt') && !(thread > 0)) throw new Error('INFO ran on thread ' + thread + ', expected a worker thread: ' + info);
      if (spec.endsWith('server-mp') && (!(pid > 0) || pid === process.pid)) throw new Error('INFO ran in pid ' + pid + ', expected a child process: ' + info);
      const bye = await client.exit();
      if (bye !== 'Goodbye!') throw new Error('EXIT -> ' + JSON.stringify(bye));
      await server.close();
      report(name, true, 'port ' + port + '; ' + info);
    } catch (err) {
      report(name, false, err && err.stack || String(err));
      try { client && client.socket.destroy(); } catch {}
      try { server && await server.close(); } catch {}
    }
  }
}
main().catch((err) => { report('api check', false, err && err.stack || String(err)); process.exitCode = 1; });
`;

function writeApiChecks(dir, entries) {
  const list = JSON.stringify(entries.map(({ spec, json, require }) => ({ spec, json, require })), null, 2);
  fs.writeFileSync(
    path.join(dir, 'api-check.mjs'),
    `const MODE = 'import';\nconst ENTRIES = ${list};\nconst load = (spec, json) => (json ? import(spec, { with: { type: 'json' } }) : import(spec));\n${API_CHECK_BODY}`,
  );
  fs.writeFileSync(
    path.join(dir, 'api-check.cjs'),
    `'use strict';\nconst MODE = 'require';\nconst ENTRIES = ${list};\nconst load = async (spec) => require(spec);\n${API_CHECK_BODY}`,
  );
}

/** A tiny TS consumer: every typed export point in an .mts (import) and an .cts (require), plus real use. */
function writeTsChecks(dir, entries, published) {
  const has = (n) => published.has(n);
  const mts = ['// Generated by tools/registry-test/run.mjs: what a TypeScript user (module nodenext, ESM) writes.'];
  const cts = ['// Generated by tools/registry-test/run.mjs: what a TypeScript user (module nodenext, CommonJS) writes.'];
  entries.forEach((e, i) => {
    if (e.json || !e.types) return;
    mts.push(`import * as entry${i} from '${e.spec}';`, `void entry${i};`);
    if (e.require) cts.push(`import entry${i} = require('${e.spec}');`, `void entry${i};`);
  });
  if (['@socketlab/protocol', '@socketlab/server-single', '@socketlab/server-mp', '@socketlab/server-mt'].every(has)) {
    mts.push(
      `import { connect, SocketlabError, type ClientOptions } from '@socketlab/protocol';`,
      `import { TaskServer, type Design, type ServerStats } from '@socketlab/protocol/server';`,
      `import { startServer as startSingle, type SingleServerOptions } from '@socketlab/server-single';`,
      `import { startServer as startMp, type MpServerOptions } from '@socketlab/server-mp';`,
      `import { startServer as startMt, MtServer, type MtServerOptions } from '@socketlab/server-mt';`,
      `export async function ping(port: number): Promise<string> {`,
      `  const options: ClientOptions = { port, framing: 'text' };`,
      `  const client = await connect(options);`,
      `  const reply: string = await client.request('PING');`,
      `  await client.exit();`,
      `  return reply;`,
      `}`,
      `export async function startAll(): Promise<number[]> {`,
      `  const single: SingleServerOptions = { port: 0, mode: 'event-loop' };`,
      `  const mp: MpServerOptions = { port: 0, strategy: 'pool', poolSize: 1 };`,
      `  const mt: MtServerOptions = { port: 0, strategy: 'per-connection', limits: { maxFibN: 30 } };`,
      `  const a: TaskServer = await startSingle(single);`,
      `  const b: TaskServer = await startMp(mp);`,
      `  const c: MtServer = await startMt(mt);`,
      `  const stats: ServerStats = c.stats();`,
      `  return [a.address.port, b.address.port, c.address.port, stats.connections.total];`,
      `}`,
      `export const codeOf = (err: unknown): string | undefined => (err instanceof SocketlabError ? err.code : undefined);`,
      `export type AnyDesign = Design;`,
      `// @ts-expect-error strategy is a closed union: this line proves the types are real, not any.`,
      `export const wrong: MtServerOptions = { strategy: 'round-robin' };`,
    );
    cts.push(
      `import protocol = require('@socketlab/protocol');`,
      `import protocolServer = require('@socketlab/protocol/server');`,
      `import single = require('@socketlab/server-single');`,
      `import mp = require('@socketlab/server-mp');`,
      `import mt = require('@socketlab/server-mt');`,
      `export async function ping(port: number): Promise<string> {`,
      `  const client: protocol.Client = await protocol.connect({ port });`,
      `  const reply: string = await client.request('PING');`,
      `  await client.exit();`,
      `  return reply;`,
      `}`,
      `export async function startAll(): Promise<number> {`,
      `  const a: protocolServer.TaskServer = await single.startServer({ port: 0, mode: 'iterative' });`,
      `  const b: mp.MpServer = await mp.startServer({ port: 0 });`,
      `  const c: mt.MtServer = await mt.startServer({ port: 0, strategy: 'pool', poolSize: 2 });`,
      `  return a.address.port + b.address.port + c.address.port;`,
      `}`,
      `// @ts-expect-error strategy is a closed union: this line proves the types are real, not any.`,
      `export const wrong: mt.MtServerOptions = { strategy: 'round-robin' };`,
    );
  }
  if (cts.length === 1) cts.push('export {};');
  // TypeScript's legacy resolution (the default for `module: commonjs` up to TS 5.x) ignores `exports`:
  // subpaths resolve only through `typesVersions` (e.g. @socketlab/protocol/server).
  const node10 = ['// Generated by tools/registry-test/run.mjs: a CommonJS project on moduleResolution node10.'];
  entries.forEach((e, i) => {
    if (!e.json && e.types && e.require) node10.push(`import * as entry${i} from '${e.spec}';`, `void entry${i};`);
  });
  fs.mkdirSync(path.join(dir, 'node10'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node10', 'check.ts'), node10.join('\n') + '\n');
  writeJson(path.join(dir, 'node10', 'tsconfig.json'), {
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true, types: ['node'], typeRoots: ['../node_modules/@types'] },
    files: ['check.ts'],
  });
  fs.writeFileSync(path.join(dir, 'check.mts'), mts.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'check.cts'), cts.join('\n') + '\n');
  writeJson(path.join(dir, 'tsconfig.json'), {
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
    files: ['check.mts', 'check.cts'],
  });
}

function parseResults(name, r) {
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('RESULT '));
  for (const line of lines) {
    const { name: n, ok, detail } = JSON.parse(line.slice(7));
    if (ok) pass(n, detail);
    else fail(n, detail);
  }
  if (r.code !== 0 || r.timedOut) fail(`${name} exits 0 by itself`, `${r.timedOut ? 'timed out' : `exit code ${r.code}`}\n${stripNoise(r.stdout + r.stderr)}`);
  else if (!lines.length) fail(`${name} reported results`, stripNoise(r.stdout + r.stderr));
  else pass(`${name} exits 0 by itself (no leaked handles after close())`, secs(r.ms));
}

/**
 * Installs @socketlab/report alone in a fresh folder and lists what came with it: reading a results file
 * must not install the servers or the load generator (issue 11). Returns the installed package count,
 * which the release notes quote.
 */
async function installReportAlone(dir, env) {
  fs.mkdirSync(dir);
  await runOk('npm', ['init', '-y'], { cwd: dir, env });
  const r = await runOk('npm', ['i', '@socketlab/report'], { cwd: dir, env, timeoutMs: 180_000 });
  // npm's hidden lockfile lists every package it put under node_modules, nested ones included.
  const installed = Object.keys(readJson(path.join(dir, 'node_modules', '.package-lock.json')).packages ?? {})
    .filter((p) => p.startsWith('node_modules/'))
    .map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
  const socketlab = [...new Set(installed.filter((n) => n.startsWith('@socketlab/')))].sort();
  const unwanted = socketlab.filter((n) => n.startsWith('@socketlab/server-') || n === '@socketlab/loadgen');
  if (unwanted.length) throw new Error(`installed ${unwanted.join(', ')} (${installed.length} packages in all: ${socketlab.join(', ')})`);
  return `${installed.length} packages (${socketlab.join(', ')}), ${secs(r.ms)}`;
}

// --------------------------------------------------------------------------------------------------- main

async function gitState() {
  if ((await run('git', ['rev-parse', '--git-dir'], { cwd: REPO })).code !== 0) return null;
  const tags = (await run('git', ['tag', '-l'], { cwd: REPO })).stdout;
  // Only the files the release flow could write (manifests, changelogs, changesets, lockfile).
  const status = (await run('git', ['status', '--porcelain', '--', 'package.json', 'package-lock.json', '.changeset', ':(glob)packages/*/package.json', ':(glob)packages/*/CHANGELOG.md'], { cwd: REPO })).stdout;
  return { tags, status };
}

async function main() {
  console.log(`registry test: node ${process.version}, repo ${REPO}`);
  const gitBefore = await gitState();
  if (!(await ensureOwnDeps())) return;

  const rootPkg = readJson(path.join(REPO, 'package.json'));
  section('packages');
  const { all, publish, notPublished } = discoverPackages(rootPkg);
  if (!publish.length) {
    fail('at least one package to publish', 'none is built: run `npm run build` at the repo root first');
    return;
  }
  console.log(`to publish: ${publish.map((w) => `${w.pkg.name}@${w.pkg.version}`).join(', ')}`);

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socketlab-registry-test-'));
  console.log(`temp dir: ${tmp}`);
  const snapshot = path.join(tmp, 'repo');
  const consumer = path.join(tmp, 'consumer');
  const npmrc = path.join(tmp, 'npmrc');

  section('registry');
  const uplink = (await run('npm', ['config', 'get', 'registry'], { cwd: os.tmpdir() })).stdout.trim() || 'https://registry.npmjs.org/';
  const verdaccio = await check(`verdaccio ${VERDACCIO_VERSION} starts on 127.0.0.1 (uplink ${uplink})`, async () => {
    return startVerdaccio(path.join(tmp, 'verdaccio'), uplink);
  });
  if (!verdaccio) return;
  console.log(`registry: ${verdaccio.url} (pid ${verdaccio.child.pid})`);
  const host = verdaccio.url.replace(/^http:/, '');
  fs.writeFileSync(
    npmrc,
    [`registry=${verdaccio.url}`, `${host}:_authToken=${DUMMY_TOKEN}`, `cache=${path.join(tmp, 'npm-cache')}`, 'audit=false', 'fund=false', 'update-notifier=false', ''].join('\n'),
  );
  // A stranger's npm: only our userconfig (registry + dummy token + an empty cache), no inherited npm_* vars.
  const userEnv = baseEnv({ NPM_CONFIG_USERCONFIG: npmrc });

  section('publish with the release flow (changeset publish)');
  const published = await check('changeset publish to the local registry', async () => {
    await makeSnapshot(snapshot, all, notPublished);
    const changesetBin = path.join(REPO, 'node_modules', '@changesets', 'cli', 'bin.js');
    if (!fs.existsSync(changesetBin)) throw new Error(`${changesetBin} is missing: run \`npm ci\` at the repo root first`);
    const env = { ...userEnv, npm_config_registry: verdaccio.url, 'npm_config_@socketlab:registry': verdaccio.url };
    const r = await runOk(process.execPath, [changesetBin, 'publish'], { cwd: snapshot, env, timeoutMs: 180_000 });
    const out = stripNoise(r.stdout + r.stderr);
    console.log(indent(out.split('\n').filter((l) => /success|error|warn|published|New tag/i.test(l)).join('\n'), 30));
    return `${publish.length} packages`;
  });
  if (!published) return;
  for (const { pkg } of publish) {
    await check(`${pkg.name}@${pkg.version} is on the registry, tagged in the temp repo only`, async () => {
      const r = await runOk('npm', ['view', `${pkg.name}@${pkg.version}`, 'version', '--json'], { cwd: tmp, env: userEnv });
      if (JSON.parse(r.stdout) !== pkg.version) throw new Error(`npm view says ${r.stdout.trim()}`);
      const tags = (await runOk('git', ['tag', '-l'], { cwd: snapshot })).stdout.split('\n');
      if (!tags.includes(`${pkg.name}@${pkg.version}`)) throw new Error(`changeset publish did not tag ${pkg.name}@${pkg.version} (tags: ${tags.join(' ')})`);
    });
  }

  section('a reader installs no writer');
  if (publish.some((w) => w.pkg.name === '@socketlab/report')) {
    await check('npm i @socketlab/report in an empty folder installs no @socketlab/server-* and no @socketlab/loadgen', () => installReportAlone(path.join(tmp, 'report-alone'), userEnv));
  }

  section('install as a new user');
  const names = publish.map((w) => w.pkg.name);
  const byName = new Map(publish.map((w) => [w.pkg.name, w.pkg]));
  fs.mkdirSync(consumer);
  await runOk('npm', ['init', '-y'], { cwd: consumer, env: userEnv });
  const first = byName.has('@socketlab/server-mt') ? '@socketlab/server-mt' : names[0];
  const firstOk = await check(`npm i ${first} in an empty folder`, async () => {
    const r = await runOk('npm', ['i', first], { cwd: consumer, env: userEnv, timeoutMs: 180_000 });
    const deps = Object.keys(byName.get(first).dependencies ?? {}).filter((d) => !fs.existsSync(path.join(consumer, 'node_modules', d, 'package.json')));
    if (deps.length) throw new Error(`its dependencies were not installed: ${deps.join(', ')}`);
    return secs(r.ms);
  });
  if (firstOk && binsOf(byName.get(first)).some((b) => b.startsWith('socketlab-server-'))) {
    for (const bin of binsOf(byName.get(first))) await check(`npx ${bin} --port 0 serves PING/FIB/EXIT over node:net, exits on SIGTERM`, () => smokeServerBin(bin, consumer, userEnv));
  }
  const rest = names.filter((n) => n !== first);
  const restOk = !rest.length || (await check(`npm i ${rest.join(' ')}`, async () => secs((await runOk('npm', ['i', ...rest], { cwd: consumer, env: userEnv, timeoutMs: 300_000 })).ms)));
  const tsOk = await check(`npm i -D typescript@${TS_VERSION} @types/node@${TYPES_NODE_VERSION}`, async () =>
    secs((await runOk('npm', ['i', '-D', `typescript@${TS_VERSION}`, `@types/node@${TYPES_NODE_VERSION}`], { cwd: consumer, env: userEnv, timeoutMs: 300_000 })).ms),
  );

  section('tarballs');
  for (const name of names) {
    const dir = path.join(consumer, 'node_modules', ...name.split('/'));
    if (!fs.existsSync(dir)) continue;
    await check(`${name} tarball: declared files present, no sources/tests/configs, real dependency ranges`, () => {
      const manifest = readJson(path.join(dir, 'package.json'));
      const files = listFiles(dir);
      const missing = declaredFiles(manifest).filter((f) => !files.includes(f));
      if (missing.length) throw new Error(`missing from the tarball: ${missing.join(', ')}`);
      const unwanted = files.filter((f) => UNWANTED.some((re) => re.test(f)));
      if (unwanted.length) throw new Error(`should not ship: ${unwanted.join(', ')}`);
      const badRanges = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies }).filter(([, r]) => !/^[\^~]?\d+\.\d+\.\d+(-[\w.]+)?$/.test(r));
      if (badRanges.length) throw new Error(`dependency ranges that are not semver versions: ${badRanges.map(([d, r]) => `${d}@${r}`).join(', ')}`);
      return `${files.length} files`;
    });
  }

  section('bins');
  for (const name of rest) {
    if (!restOk) break;
    for (const bin of binsOf(byName.get(name))) {
      if (bin.startsWith('socketlab-server-')) {
        await check(`npx ${bin} --port 0 serves PING/FIB/EXIT over node:net, exits on SIGTERM`, () => smokeServerBin(bin, consumer, userEnv));
      }
    }
  }
  for (const name of names) {
    if (name === first ? !firstOk : !restOk) continue;
    const pkg = byName.get(name);
    for (const bin of binsOf(pkg)) {
      await check(`npx ${bin} --help`, async () => {
        const r = await runOk('npx', ['--no-install', bin, '--help'], { cwd: consumer, env: userEnv, timeoutMs: 60_000 });
        if (!r.stdout.trim()) throw new Error('printed nothing on stdout');
        return r.stdout.trim().split('\n')[0];
      });
      if (bin.startsWith('socketlab-server-')) {
        await check(`npx ${bin} --version prints ${pkg.version}`, async () => {
          const r = await runOk('npx', ['--no-install', bin, '--version'], { cwd: consumer, env: userEnv, timeoutMs: 60_000 });
          if (r.stdout.trim() !== pkg.version) throw new Error(`printed ${JSON.stringify(r.stdout.trim())}`);
        });
      }
    }
  }

  if (!firstOk || !restOk) return;
  section('API: import, require, a server started from the API');
  const entries = publish.flatMap((w) => entryPoints(w.pkg));
  writeApiChecks(consumer, entries);
  parseResults('node api-check.mjs', await run(process.execPath, ['api-check.mjs'], { cwd: consumer, env: userEnv, timeoutMs: 90_000 }));
  parseResults('node api-check.cjs', await run(process.execPath, ['api-check.cjs'], { cwd: consumer, env: userEnv, timeoutMs: 90_000 }));

  section('types');
  if (!tsOk) return;
  writeTsChecks(consumer, entries, new Set(names));
  await check(`tsc --noEmit (module nodenext): check.mts (import) + check.cts (require), TypeScript ${TS_VERSION}`, async () => {
    const r = await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: consumer, env: userEnv, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${stripNoise(r.stdout + r.stderr)}\n--- check.mts\n${fs.readFileSync(path.join(consumer, 'check.mts'), 'utf8')}--- check.cts\n${fs.readFileSync(path.join(consumer, 'check.cts'), 'utf8')}`);
    return secs(r.ms);
  });
  await check('tsc --noEmit (module commonjs, moduleResolution node10) resolves every typed entry point', async () => {
    const r = await run('npx', ['--no-install', 'tsc', '-p', 'node10/tsconfig.json'], { cwd: consumer, env: userEnv, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${stripNoise(r.stdout + r.stderr)}\n--- node10/check.ts\n${fs.readFileSync(path.join(consumer, 'node10', 'check.ts'), 'utf8')}`);
    return secs(r.ms);
  });

  section('teardown');
  await check(`verdaccio (pid ${verdaccio.child.pid}) stops on SIGTERM`, async () => {
    process.kill(verdaccio.child.pid, 'SIGTERM'); // by PID: verdaccio renames its process title
    const exit = await waitExit(verdaccio.child, 10_000);
    if (!exit) throw new Error('still running 10 s after SIGTERM');
  });
  const gitAfter = await gitState();
  if (gitBefore && gitAfter) {
    await check('the repo has no new git tags and no changed manifests/changelogs', () => {
      if (gitAfter.tags !== gitBefore.tags) throw new Error(`tags before:\n${gitBefore.tags}\ntags after:\n${gitAfter.tags}`);
      if (gitAfter.status !== gitBefore.status) throw new Error(`git status before:\n${gitBefore.status}\nafter:\n${gitAfter.status}`);
    });
  }
}

/** Ends every process this run started (their whole process groups) and removes the temp dir. */
async function cleanup() {
  const groups = [...children].filter((c) => c.pid);
  const groupAlive = (c) => {
    try {
      process.kill(-c.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const c of groups) killTree(c, 'SIGTERM');
  for (let i = 0; i < 30 && groups.some(groupAlive); i++) await new Promise((r) => setTimeout(r, 100));
  const stubborn = groups.filter(groupAlive);
  for (const c of stubborn) killTree(c, 'SIGKILL');
  for (let i = 0; i < 20 && stubborn.some(groupAlive); i++) await new Promise((r) => setTimeout(r, 100));
  const left = stubborn.filter(groupAlive);
  if (left.length) fail('every process this run started has exited', left.map((c) => `process group ${c.pid}: ${c.spawnargs.join(' ')}`).join('\n'));
  if (tmp) {
    if (KEEP_TMP) console.log(`kept temp dir ${tmp}`);
    else {
      try {
        fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch (err) {
        fail(`temp dir ${tmp} removed`, err.message);
      }
    }
  }
}

let finished = false;
async function finish(code) {
  if (finished) return;
  finished = true;
  stopping = true;
  await cleanup();
  const count = (s) => results.filter((r) => r.status === s).length;
  const [passed, failed, skipped] = [count('pass'), count('fail'), count('skip')];
  console.log(`\nregistry test finished in ${secs(performance.now() - t0)}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed || code ? 1 : 0);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    fail(`interrupted by ${signal}`);
    void finish(1);
  });
}
const globalTimer = setTimeout(() => {
  fail(`the whole run finishes within ${secs(GLOBAL_TIMEOUT_MS)}`, 'global timeout: stopping everything');
  void finish(1);
}, GLOBAL_TIMEOUT_MS);

main().then(
  () => {
    clearTimeout(globalTimer);
    return finish(0);
  },
  (err) => {
    clearTimeout(globalTimer);
    if (!stopping) fail('registry test crashed', err?.stack ?? String(err));
    return finish(1);
  },
);
