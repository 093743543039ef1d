#!/usr/bin/env node
// Benchmark of the six server variants against Node's own floors, all in one run on this machine.
// Usage: node tools/bench/servers.mjs [--only cpu,fib,ping,conns] [--out FILE]
//        ping: [--rounds 3] [--ping-ms 3000] [--ping-depths 1,16] [--ping-request PING] [--baseline DIR]
// Writes a JSON record (raw numbers + environment) and prints a Markdown summary.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VARIANTS, round, runLoad, sleep, startProcess, startVariant, treeUsage } from './lib.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : args[i + 1];
};
/** A positive integer flag (or `text`, one item of a list flag), else a message naming the flag. */
function positiveInt(name, dflt, text = arg(name, String(dflt))) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got ${JSON.stringify(text)})`);
  return n;
}
const only = new Set((arg('--only', 'startup,served,cap,cpu,fib,ping,conns')).split(','));
const out = arg('--out', fileURLToPath(new URL('./results/latest.json', import.meta.url)));
const BASELINES = fileURLToPath(new URL('./baselines.mjs', import.meta.url));
const log = (...a) => console.error('[bench]', ...a);

function runNode(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let outText = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (outText += d));
    p.once('exit', (code) => (code === 0 ? resolve(JSON.parse(outText)) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

const record = {
  tool: 'tools/bench/servers.mjs',
  date: new Date().toISOString(),
  environment: { node: process.version, cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), kernel: os.release() },
  results: {},
};

// 0. Start-up: spawn to "Server is running on" (pools: every worker ready first), and the tree's RSS then.
if (only.has('startup')) {
  const res = (record.results.startup = { method: 'median of 5 starts: wall time from spawn to the listening line; process-tree RSS 300 ms later; --pool-size 2', variants: {} });
  for (const name of Object.keys(VARIANTS)) {
    const times = [];
    const rss = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const server = await startVariant(name, ['--pool-size', '2']);
      times.push(performance.now() - t0);
      await sleep(300);
      rss.push(treeUsage(server.pid).rss);
      await server.stop();
    }
    const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
    res.variants[name] = { startupMs: med(times), rssBytes: med(rss) };
    log(name, 'starts in', round(med(times), 1), 'ms; RSS', round(med(rss) / 2 ** 20, 1), 'MiB');
  }
}

// 0b. Memory per client being served: 20 clients connected, each after one PING (executors started).
if (only.has('served')) {
  const res = (record.results.perClientServed = { method: '20 clients connected at once, each having had one PING answered; process-tree RSS delta / 20', variants: {} });
  for (const name of ['single-event-loop', 'mp-per-connection', 'mp-pool', 'mt-per-connection', 'mt-pool']) {
    const server = await startVariant(name, ['--pool-size', '2']);
    await sleep(300);
    const before = treeUsage(server.pid);
    const load = runLoad({ mode: 'holdOpen', port: server.port, connections: 20, request: 'PING', holdMs: 1500 });
    await sleep(1000);
    const during = treeUsage(server.pid);
    await load;
    await server.stop();
    res.variants[name] = { bytesPerClient: (during.rss - before.rss) / 20, processes: during.processes, threads: during.threads };
    log(name, round((during.rss - before.rss) / 20 / 1024, 1), 'KiB per client served;', during.processes, 'processes,', during.threads, 'threads');
  }
}

// 0c. Memory at the worker cap: per-connection designs with their default maxWorkers, that many clients
// connected and answered once (each holding its process or thread), then the tree's RSS.
if (only.has('cap')) {
  const caps = { 'mp-per-connection': 128, 'mt-per-connection': 1024 }; // DEFAULT_MAX_WORKERS of each package
  const res = (record.results.atWorkerCap = { method: 'default --max-workers clients connected at once, each having had one PING answered; process-tree RSS, processes and threads then; RSS delta per worker', variants: {} });
  for (const [name, cap] of Object.entries(caps)) {
    const server = await startVariant(name);
    await sleep(300);
    const before = treeUsage(server.pid);
    const t0 = performance.now();
    const load = runLoad({ mode: 'holdOpen', port: server.port, connections: cap, request: 'PING', holdMs: 3000 });
    // Poll until every worker is up (or 60 s): the tree's RSS at its largest.
    let during = treeUsage(server.pid);
    while (performance.now() - t0 < 60_000) {
      await sleep(500);
      during = treeUsage(server.pid);
      if ((name.startsWith('mp') ? during.processes - 1 : during.threads - before.threads) >= cap) break;
    }
    await sleep(1000);
    during = treeUsage(server.pid);
    await load;
    await server.stop();
    res.variants[name] = { maxWorkers: cap, rssBytes: during.rss, bytesPerWorker: (during.rss - before.rss) / cap, processes: during.processes, threads: during.threads };
    log(name, 'at cap', cap, ':', round(during.rss / 2 ** 30, 2), 'GiB;', round((during.rss - before.rss) / cap / 2 ** 20, 1), 'MiB per worker;', during.processes, 'processes,', during.threads, 'threads');
  }
}

// 1. Server CPU per client for one SLEEP + EXIT, against a bare fork() / new Worker().
if (only.has('cpu')) {
  const res = (record.results.cpuPerClient = { method: 'server process-tree CPU (user+sys, /proc, incl. reaped children) over N clients, 10 at a time, each: connect, SLEEP 1, EXIT; divided by N', variants: {} });
  // The floors use the same pattern as the servers below: 100 started and stopped, 10 at a time.
  res.bareForkMs = (await runNode([BASELINES, 'fork', '100', '10'])).cpuMsPer;
  res.bareWorkerMs = (await runNode([BASELINES, 'worker', '100', '10'])).cpuMsPer;
  log('bare fork', round(res.bareForkMs), 'ms; bare worker', round(res.bareWorkerMs), 'ms');
  for (const name of ['bare-lesson', 'single-event-loop', 'mp-pool', 'mt-pool', 'mp-per-connection', 'mt-per-connection']) {
    const n = name.includes('per-connection') ? 100 : 2000;
    const server = name === 'bare-lesson' ? await startProcess([BASELINES, 'lesson']) : await startVariant(name, ['--pool-size', '2']);
    await sleep(300);
    const u0 = treeUsage(server.pid);
    const load = await runLoad({ mode: 'requestExit', port: server.port, clients: n, concurrency: 10, request: 'SLEEP 1', expect: 'OK 1\n' });
    await sleep(300); // let per-connection children exit and be reaped
    const u1 = treeUsage(server.pid);
    await server.stop();
    const perClient = (u1.cpuMs - u0.cpuMs) / n;
    const floor = name.startsWith('mp-per') ? res.bareForkMs : name.startsWith('mt-per') ? res.bareWorkerMs : null;
    res.variants[name] = { clients: n, errors: load.errors, cpuMsPerClient: perClient, ratioToBare: floor ? perClient / floor : null };
    log(name, round(perClient, 3), 'ms CPU per client', floor ? `(${round(perClient / floor)} x bare)` : '', 'errors', load.errors);
  }
}

// 2. FIB on both cores: two clients computing, requests completed per second.
if (only.has('fib')) {
  const res = (record.results.fib = { method: '2 connections, one FIB 30 in flight each, 5 s after 1 s warm-up; FIB/s', variants: {} });
  for (const name of ['single-event-loop', 'mp-per-connection', 'mp-pool', 'mt-per-connection', 'mt-pool']) {
    const server = await startVariant(name, ['--pool-size', '2']);
    const load = await runLoad({ mode: 'closedLoop', port: server.port, connections: 2, request: 'FIB 30', durationMs: 5000, warmupMs: 1000 });
    await server.stop();
    res.variants[name] = { rate: load.rate };
  }
  const base = res.variants['single-event-loop'].rate;
  for (const [name, v] of Object.entries(res.variants)) {
    v.speedup = v.rate / base;
    log(name, round(v.rate, 1), 'FIB/s', `${round(v.speedup)} x single`);
  }
}

// 3. PING over 100 connections, one in flight each and pipelined (`--ping-depths`, default 1,16),
// against a bare node:net echo server. Rounds are interleaved (echo, A, B, C, echo, A, ...) and medians
// reported, so drifting background load on a shared machine hits every variant alike. With
// `--baseline DIR` (another checkout, built), each design also runs from DIR's build in the same
// rounds, recorded as `<design>@base`: a before/after comparison under the same load.
if (only.has('ping')) {
  const ROUNDS = positiveInt('--rounds', 3);
  const durationMs = positiveInt('--ping-ms', 3000);
  const depths = arg('--ping-depths', '1,16').split(',').map((d) => positiveInt('--ping-depths', 0, d));
  const baseline = arg('--baseline', null);
  // Another request in place of PING, e.g. `HASH 1 x`: a task that still crosses to a pool thread.
  const request = arg('--ping-request', 'PING');
  if (baseline !== null && !existsSync(`${baseline}/packages/server-mt/bin.js`)) throw new Error(`--baseline ${baseline}: no packages/server-mt/bin.js there (a built socketlab checkout)`);
  const designs = ['single-event-loop', 'mp-pool', 'mt-pool'];
  const res = (record.results.ping = {
    method: `100 connections, ${request}, each connection keeping <depth> in flight (depth > 1: pipelined), ${durationMs} ms after 0.5 s warm-up; req/s; median of ${ROUNDS} interleaved rounds (load generator in its own process); ofBare = rate / bare-echo rate at the same depth; ofBareCpu = bare echo's server CPU per reply / this server's (process tree, /proc, warm-up included)`,
    ...(baseline ? { baseline } : {}),
    byDepth: {},
  });
  const runs = [['bare-echo', () => startProcess([BASELINES, 'echo'])]];
  for (const n of designs) {
    runs.push([n, () => startVariant(n, ['--pool-size', '2'])]);
    if (baseline) runs.push([`${n}@base`, () => startVariant(n, ['--pool-size', '2'], {}, baseline)]);
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const depth of depths) {
    const samples = Object.fromEntries(runs.map(([n]) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, start] of runs) {
        const server = await start();
        const u0 = treeUsage(server.pid);
        const load = await runLoad({ mode: 'closedLoop', port: server.port, connections: 100, depth, request, durationMs, warmupMs: 500 });
        const u1 = treeUsage(server.pid);
        await server.stop();
        // Server CPU per reply: steadier than the rate on a busy machine, where other processes take the
        // cores (the rate then measures the machine more than the server).
        const serverCpuMs = u1.cpuMs - u0.cpuMs;
        samples[name].push({ rate: load.rate, loadCpuMs: load.loadCpuMs, serverCpuMs, cpuUsPerReply: (serverCpuMs * 1000) / load.replies });
      }
    }
    const variants = {};
    for (const [name, list] of Object.entries(samples)) {
      variants[name] = { rate: med(list.map((x) => x.rate)), rates: list.map((x) => x.rate), cpuUsPerReply: med(list.map((x) => x.cpuUsPerReply)), cpuUsPerReplyRounds: list.map((x) => x.cpuUsPerReply), serverCpuMs: list.map((x) => x.serverCpuMs), loadCpuMs: list.map((x) => x.loadCpuMs) };
    }
    const base = variants['bare-echo'];
    for (const [name, v] of Object.entries(variants)) {
      v.ofBare = v.rate / base.rate;
      // The same ratio from CPU: bare echo's CPU per reply over this server's (1 = as cheap as echo).
      v.ofBareCpu = base.cpuUsPerReply / v.cpuUsPerReply;
      log(`depth ${depth}`, name, Math.round(v.rate), 'req/s', `${round(v.ofBare * 100, 1)} % of bare echo`, `(rounds: ${v.rates.map(Math.round).join(', ')});`, round(v.cpuUsPerReply, 1), 'µs CPU per reply,', `${round(v.ofBareCpu * 100, 1)} % of bare echo by CPU (rounds: ${v.cpuUsPerReplyRounds.map((x) => round(x, 1)).join(', ')})`);
    }
    res.byDepth[depth] = { variants, loadAverage: os.loadavg() };
  }
}

// 4. 10,000 concurrent connections: memory per idle connection, then WAIT 1000 on every one.
if (only.has('conns')) {
  const N = 10000;
  const res = (record.results.connections = { method: `${N} connections opened (500 at a time) and left idle; server tree RSS before/after over ${N}; then WAIT 1000 on all at once; server tree CPU from before the first connection to after the WAIT round`, variants: {} });
  const names = arg('--conns-designs', 'single-event-loop,mp-pool,mt-pool,mp-prefork-rr,mp-prefork-os,mp-prefork-reuseport').split(',');
  for (const name of names) {
    const server = await startVariant(name, ['--pool-size', '2', '--max-connections', '20000', '--backlog', '4096']);
    await sleep(500);
    const before = treeUsage(server.pid);
    const result = await new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [fileURLToPath(new URL('./load.mjs', import.meta.url)), JSON.stringify({ mode: 'manyConnections', port: server.port, connections: N, idleMs: 2500, waitMs: 1000 })], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buf = '';
      let idle = null;
      p.stdout.setEncoding('utf8').on('data', (d) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop();
        for (const l of lines) {
          const msg = JSON.parse(l);
          if (msg.phase === 'idle') {
            setTimeout(() => (idle = { ...msg, usage: treeUsage(server.pid) }), 1500);
          } else resolve({ ...msg, idle });
        }
      });
      p.once('exit', (code) => code !== 0 && reject(new Error(`load exited ${code}`)));
    });
    const after = treeUsage(server.pid);
    await server.stop();
    const perConn = (result.idle.usage.rss - before.rss) / result.idle.open;
    const cpuMs = after.cpuMs - before.cpuMs;
    res.variants[name] = { opened: result.open, connectErrors: result.connectErrors, ok: result.ok, errors: result.errors, waitWallMs: result.wallMs, rssBefore: before.rss, rssIdle: result.idle.usage.rss, bytesPerIdleConnection: perConn, serverCpuMs: cpuMs, loadAverage: os.loadavg() };
    log(name, `${result.open} open, ${result.ok} ok, ${result.errors + result.connectErrors} errors, ${round(perConn / 1024)} KiB per idle connection, WAIT round in ${Math.round(result.wallMs)} ms, server CPU ${Math.round(cpuMs)} ms`);
  }
}

mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
writeFileSync(out, JSON.stringify(record, null, 2) + '\n');
log('wrote', out);
