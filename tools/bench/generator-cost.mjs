#!/usr/bin/env node
// What loadgen's clients cost per request, against the floor: a bare raw-socket Node client doing the same
// conversations in the same run (load.mjs `pingExit`). Both talk to one server: N connections, each sends
// PING and waits for its reply, K times, then EXIT, and waits for the server's close.
//
// Usage: node tools/bench/generator-cost.mjs [--clients 100] [--requests 200] [--rounds 3] [--passes 2]
//          [--server single-event-loop|bare] [--variant NAME=PATH/TO/client-worker.js ...] [--out FILE]
//          [--cpu-prof DIR]
//
// Each round runs every generator once, in a rotated order (so drifting load on a shared machine hits all
// alike), each in a fresh process. Each process does `passes` passes over fresh connections; only the
// last is measured, so both are JIT-warm as loadgen's workers are in a sweep. CPU is each generator's
// own process.cpuUsage() over the pass (connect → last close): loadgen's worker reports exactly that from
// its `go` to its report. A --variant is another build of loadgen's client worker (e.g. a copy of dist/
// from before a change) for A/B runs. Writes the raw numbers to <repo>/results/generator-cost.json.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MESSAGE_BRAND as BRAND } from '../../packages/protocol/dist/index.js';
import { round, runLoad, startProcess, startVariant, treeUsage } from './lib.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : args[i + 1];
};
const int = (name, dflt) => {
  const v = Number(arg(name, dflt));
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer (got ${arg(name)})`);
  return v;
};
const N = int('--clients', 100);
const K = int('--requests', 200);
const ROUNDS = int('--rounds', 3);
const PASSES = int('--passes', 2);
const SERVER = arg('--server', 'single-event-loop');
if (SERVER !== 'single-event-loop' && SERVER !== 'bare') throw new Error(`--server must be single-event-loop or bare (got ${SERVER})`);
const out = arg('--out', fileURLToPath(new URL('../../results/generator-cost.json', import.meta.url)));
const variants = { loadgen: fileURLToPath(new URL('../../packages/loadgen/dist/entry/client-worker.js', import.meta.url)) };
args.forEach((a, i) => {
  if (a !== '--variant') return;
  const [name, path] = (args[i + 1] ?? '').split('=');
  if (!name || !path) throw new Error(`--variant takes NAME=PATH (got ${args[i + 1]})`);
  variants[name] = path;
});
// --cpu-prof DIR: loadgen's client workers write a V8 CPU profile there (node --cpu-prof), to see where their time goes.
const cpuProfDir = arg('--cpu-prof', null);
const log = (...a) => console.error('[generator-cost]', ...a);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** One fresh loadgen client worker: `passes` runs of N clients × K PINGs; the last run's report. */
async function loadgenPass(entry, port) {
  const child = fork(entry, [], { execArgv: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
  const next = (type) => new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`client worker exited (${code}) waiting for ${type}`));
    const onMessage = (m) => {
      if (m?.type === 'failed') reject(new Error(m.error.message));
      if (m?.type !== type) return;
      child.off('message', onMessage).off('exit', onExit);
      resolve(m);
    };
    child.on('message', onMessage).once('exit', onExit);
  });
  await next('loaded');
  const requests = Array.from({ length: K }, () => 'PING');
  const expected = requests.map(() => 'PONG');
  let result;
  for (let p = 1; p <= PASSES; p++) {
    const clients = Array.from({ length: N }, (_, index) => ({ index, requests, expected }));
    const ready = next('ready');
    child.send({ [BRAND]: true, type: 'prepare', runId: p, host: '127.0.0.1', port, connectTimeoutMs: 10_000, runTimeoutMs: 120_000, sourceAddresses: [], clients });
    await ready;
    const t0 = performance.now();
    const done = next('result');
    child.send({ [BRAND]: true, type: 'go', runId: p });
    result = await done;
    result.wallMs = performance.now() - t0;
  }
  child.send({ [BRAND]: true, type: 'shutdown' });
  const errors = result.clients.reduce((a, c) => a + (c.failure ? 1 : 0) + c.wrongResult + Object.values(c.protocol).reduce((x, y) => x + y, 0) + (c.tasksOk === K ? 0 : 1), 0);
  return { errors, wallMs: result.wallMs, cpuUserMs: result.cpu.user / 1000, cpuSystemMs: result.cpu.system / 1000 };
}

const server = SERVER === 'bare' ? await startProcess([fileURLToPath(new URL('./baselines.mjs', import.meta.url)), 'ping']) : await startVariant('single-event-loop');
const generators = { bare: () => runLoad({ mode: 'pingExit', port: server.port, connections: N, requests: K, passes: PASSES }), ...Object.fromEntries(Object.entries(variants).map(([name, entry]) => [name, () => loadgenPass(entry, server.port)])) };
const names = Object.keys(generators);
const rounds = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const round_ = { loadAverage: os.loadavg()[0], results: {} };
    for (const name of order) {
      const server0 = treeUsage(server.pid).cpuMs;
      const res = await generators[name]();
      const cpuMs = res.cpuUserMs + res.cpuSystemMs;
      round_.results[name] = { ...res, cpuUsPerRequest: (cpuMs * 1000) / (N * (K + 1)), serverCpuMs: treeUsage(server.pid).cpuMs - server0 };
      log(`round ${r + 1} ${name}: ${round(round_.results[name].cpuUsPerRequest)} µs CPU/request (user ${round(res.cpuUserMs)} + sys ${round(res.cpuSystemMs)} ms), wall ${round(res.wallMs)} ms, errors ${res.errors}`);
    }
    rounds.push(round_);
  }
} finally {
  await server.stop();
}

const summary = {};
for (const name of names) {
  const per = rounds.map((r) => r.results[name].cpuUsPerRequest);
  const ratios = rounds.map((r) => r.results[name].cpuUsPerRequest / r.results.bare.cpuUsPerRequest);
  summary[name] = {
    cpuUsPerRequest: { median: round(median(per), 3), min: round(Math.min(...per), 3), max: round(Math.max(...per), 3) },
    ratioToBare: { median: round(median(ratios), 3), min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) },
    errors: rounds.reduce((a, r) => a + r.results[name].errors, 0),
  };
}
const record = {
  tool: 'tools/bench/generator-cost.mjs',
  date: new Date().toISOString(),
  method: `${N} connections × ${K} PING + EXIT each (${N * (K + 1)} requests) from one process, against ${SERVER === 'bare' ? "baselines.mjs's bare PING server" : 'single-event-loop'}; the last of ${PASSES} passes per fresh process; CPU = the generator's process.cpuUsage() over the pass; ${ROUNDS} rounds, rotated order; ratios per round`,
  environment: { node: process.version, cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), kernel: os.release(), variants },
  params: { clients: N, requests: K, rounds: ROUNDS, passes: PASSES, server: SERVER },
  summary,
  rounds,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(record, null, 2) + '\n');
for (const name of names) {
  const s = summary[name];
  log(`${name}: ${s.cpuUsPerRequest.median} µs/request (${s.cpuUsPerRequest.min}–${s.cpuUsPerRequest.max}), ×${s.ratioToBare.median} of bare (${s.ratioToBare.min}–${s.ratioToBare.max}), errors ${s.errors}`);
}
log(`wrote ${out}`);
