// loadgen's clock against an independent one. Against one server per design, rounds × N, interleaved:
// the barrier client (barrier-client.mjs: no loadgen code), loadgen --run-definition connect-then-release
// and loadgen --run-definition release-then-connect, each timing one run of N clients with one SLEEP task
// each. Writes every raw number and the ratios loadgen ÷ barrier to a JSON file (results/ is gitignored).
//
//   npx nx run-many -t build
//   node tools/bench/run-definition.mjs --clients 10 --task-ms 300 --rounds 2      # ~10 s: a check
//   node tools/bench/run-definition.mjs --clients 10,20,50,100 --rounds 5          # the issue's question
//
// The order of the three clients rotates from round to round, so that drift on a shared machine (other
// work starting or stopping) falls on each alike. Read the ratios, not the absolute times.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startVariant, round } from './lib.mjs';
import { median } from '../../packages/results/dist/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADGEN = resolve(ROOT, 'packages/loadgen/bin.js');
const BARRIER = fileURLToPath(new URL('./barrier-client.mjs', import.meta.url));

const HELP = `Usage: node tools/bench/run-definition.mjs [options]

  --designs <list>    server designs to start (one server each, kept for all its runs), default single-iterative
  --clients <list>    N values, default 10
  --task-ms <ms>      SLEEP time of each client's one task, default 300
  --rounds <n>        rounds (each runs every N with all three clients), default 2
  --out <file>        default results/run-definition.json under the repository root
  -h, --help`;

const { values } = parseArgs({
  options: {
    designs: { type: 'string', default: 'single-iterative' },
    clients: { type: 'string', default: '10' },
    'task-ms': { type: 'string', default: '300' },
    rounds: { type: 'string', default: '2' },
    out: { type: 'string', default: resolve(ROOT, 'results/run-definition.json') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const usage = (message) => {
  console.error(`run-definition: ${message}\n\n${HELP}`);
  process.exit(2);
};
const designs = values.designs.split(',').map((s) => s.trim()).filter(Boolean);
const clientCounts = values.clients.split(',').map(Number);
const taskMs = Number(values['task-ms']);
const rounds = Number(values.rounds);
if (clientCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)) usage(`--clients must be integers from 1 to 10000 (got ${values.clients})`);
if (!Number.isInteger(taskMs) || taskMs < 1 || taskMs > 10_000) usage(`--task-ms must be an integer from 1 to 10000 (got ${values['task-ms']})`);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) usage(`--rounds must be an integer from 1 to 100 (got ${values.rounds})`);

/** Runs a node script; resolves with its stdout (rejects on a non-zero exit). */
function runNode(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.once('exit', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

async function barrier(port, n) {
  const r = JSON.parse(await runNode([BARRIER, '--port', String(port), '--clients', String(n), '--request', `SLEEP ${taskMs}`]));
  return { totalMs: r.totalMs, errors: r.errors.length, connectMs: r.connectMs };
}

async function loadgen(port, n, runDefinition) {
  const args = [
    LOADGEN, '--target', `127.0.0.1:${port}`, '--workloads', 'sleep', '--clients', String(n), '--runs', '1',
    '--time-scale', String(taskMs / 3000), '--run-definition', runDefinition,
    // No quiet wait and no re-runs: the barrier client has neither, and the rounds spread the noise.
    '--quiet-wait-ms', '0', '--noise-retries', '0', '--json', '--allow-errors',
  ];
  const results = JSON.parse(await runNode(args));
  const run = results.cells[0].runs[0];
  return {
    totalMs: run.totalMs, errors: run.errors.total, connectPhaseMs: run.connectPhaseMs ?? null,
    saturated: run.loadgen.saturated, foreignCpuShare: run.noise?.foreignCpuShare ?? null,
  };
}

const CLIENTS = {
  barrier: (port, n) => barrier(port, n),
  'connect-then-release': (port, n) => loadgen(port, n, 'connect-then-release'),
  'release-then-connect': (port, n) => loadgen(port, n, 'release-then-connect'),
};
const NAMES = Object.keys(CLIENTS);

const startedAt = new Date().toISOString();
const loadAverageStart = loadavg().map((x) => round(x));
const raw = [];
for (const design of designs) {
  const server = await startVariant(design);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const n of clientCounts) {
        const order = NAMES.map((_, i) => NAMES[(i + r) % NAMES.length]);
        const row = { design, round: r + 1, clients: n, order };
        for (const name of order) row[name] = await CLIENTS[name](server.port, n);
        raw.push(row);
        console.error(`${design} N=${n} round ${r + 1}: ${NAMES.map((k) => `${k} ${row[k].totalMs} ms`).join(', ')}`);
      }
    }
  } finally {
    await server.stop();
  }
}

const ratio = (a, b) => (a === null || b === null || b === 0 ? null : round(a / b, 4));
const summary = [];
for (const design of designs) {
  for (const n of clientCounts) {
    const rows = raw.filter((x) => x.design === design && x.clients === n);
    const med = (name) => {
      const m = median(rows.map((x) => x[name].totalMs).filter((t) => t !== null));
      return m === null ? null : round(m, 3);
    };
    const medRatio = (xs) => {
      const m = median(xs.filter((x) => x !== null));
      return m === null ? null : round(m, 4);
    };
    const perRound = (name) => rows.map((x) => ratio(x[name].totalMs, x.barrier.totalMs));
    summary.push({
      design, clients: n,
      medianMs: Object.fromEntries(NAMES.map((k) => [k, med(k)])),
      ratioToBarrier: {
        'connect-then-release': { perRound: perRound('connect-then-release'), median: medRatio(perRound('connect-then-release')) },
        'release-then-connect': { perRound: perRound('release-then-connect'), median: medRatio(perRound('release-then-connect')) },
      },
    });
  }
}

const doc = {
  what: 'loadgen total time (release → last Goodbye!) against an independent barrier client, same server, interleaved rounds',
  startedAt, endedAt: new Date().toISOString(),
  environment: { node: process.version, cores: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', loadAverageStart, loadAverageEnd: loadavg().map((x) => round(x)) },
  config: { designs, clients: clientCounts, taskMs, rounds, request: `SLEEP ${taskMs}` },
  summary,
  raw,
};
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(doc, null, 2) + '\n');
for (const s of summary) {
  const c = s.ratioToBarrier;
  console.log(`${s.design} N=${s.clients}: barrier ${s.medianMs.barrier} ms; connect-then-release ${s.medianMs['connect-then-release']} ms (× ${c['connect-then-release'].median}); release-then-connect ${s.medianMs['release-then-connect']} ms (× ${c['release-then-connect'].median})`);
}
console.log(`raw numbers: ${values.out}`);
