#!/usr/bin/env node
// The sharded-run test on a real Slurm: set up 3 fake nodes (setup.sh), start a server on 127.0.0.1
// (server-single's event loop, --port 0), run a 4-shard × 25-client closed-model sweep across the nodes
// with the generated Slurm launcher (run in a salloc allocation: srun → merge), build the report from the merged file, and
// compare with 1 × 100 clients on the same server. Stops every daemon and process it started, by pid.
//
//   node tools/slurm/test.mjs          (root; after `npm run build`)
//
// Exit 0: passed. Exit 77: SKIPPED (not root, no cgroups, Slurm not installable; the line says why).
// Anything else: failed.
//
// "Within run-to-run noise", the rule: 2 × RUNS unsharded runs of 1 × 100 clients (RUNS before the sharded
// sweep, RUNS after) give totals u; the merged
// sharded median must lie in [min(u) − w, max(u) + w] with w = max(max(u) − min(u), 10 % of median(u)):
// the unsharded range widened by its own spread (with a floor, since on an idle loopback three runs can
// land within a millisecond of each other while the sharded side adds a cross-process start).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LOADGEN = join(ROOT, 'packages/loadgen/bin.js');
const REPORT = join(ROOT, 'packages/report/bin.js');
const SERVER = join(ROOT, 'packages/server-single/bin.js');
const SHARDS = 4;
const NODES = 3;
const CLIENTS = 100;
const RUNS = 5;
// CPU-light: WAIT 300 ms on the event loop (timeScale 0.1), one task per client.
const SWEEP = ['--clients', String(CLIENTS), '--workloads', 'wait', '--time-scale', '0.1', '--runs', String(RUNS), '--quiet-wait-ms', '0', '--loadgen-workers', '1', '--no-progress', '--allow-errors'];
const SKIP = 77;

const state = mkdtempSync(join(tmpdir(), 'socketlab-slurm-'));
const started = []; // our own child processes, stopped by pid at the end
let slurmUp = false;

function log(line) {
  process.stdout.write(`slurm-test: ${line}\n`);
}

function sh(cmd, args, options = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function startServer() {
  const child = spawn(process.execPath, [SERVER, '--mode', 'event-loop', '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  let out = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s) => {
      out += s;
      const m = /:(\d+)\.\.\./.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
  return { child, port };
}

async function main() {
  if (process.getuid?.() !== 0) return skip('not root (Slurm\'s daemons need root; run with sudo -E)');
  const t0 = performance.now();
  let setup;
  try {
    setup = sh('bash', [join(ROOT, 'tools/slurm/setup.sh'), state], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SOCKETLAB_SLURM_NODES: String(NODES) } });
  } catch (err) {
    if (err.status === SKIP) return skip(String(err.stdout).trim().replace(/^SKIPPED: /, ''));
    throw new Error(`setup.sh failed (exit ${err.status}):\n${err.stdout}`);
  }
  slurmUp = true;
  const setupS = (performance.now() - t0) / 1000;
  process.stdout.write(setup);
  const env = { ...process.env, SLURM_CONF: join(state, 'slurm.conf'), PATH: `${dirname(process.execPath)}:${process.env.PATH}` };

  const server = await startServer();
  const target = `127.0.0.1:${server.port}`;
  log(`server single-event-loop on ${target}`);

  // 1 × 100 clients, RUNS runs before the sharded sweep and RUNS after it: the noise band, taken over
  // the same stretch of time as the sharded runs (a machine shared with other work drifts).
  const wholeTotals = [];
  const unsharded = (name) => {
    const file = join(state, name);
    sh(process.execPath, [LOADGEN, '--target', target, ...SWEEP, '--quiet', '--out', file]);
    wholeTotals.push(...JSON.parse(readFileSync(file, 'utf8')).cells[0].runs.map((r) => r.totalMs));
  };
  unsharded('whole-before.json');

  // 4 × 25 clients over the 3 nodes: the generated launcher, run by sbatch (srun inside it, then the merge).
  const port = await freePort();
  const script = sh(process.execPath, [LOADGEN, 'launcher', 'slurm', '--shards', String(SHARDS), '--nodes', String(NODES), '--port', String(port), '--rendezvous-host', '127.0.0.1', '--name', 'socketlab-ci', '--command', `${process.execPath} ${LOADGEN}`, '--', '--target', target, ...SWEEP]);
  writeFileSync(join(state, 'job.sh'), script);
  const out = join(state, 'out');
  const t1 = performance.now();
  try {
    // salloc, not sbatch --wait: the same script in the same kind of allocation (its #SBATCH lines given
    // as flags), without sbatch's polling delay; its output comes back here.
    const log = sh('salloc', ['--nodes', String(NODES), '--ntasks', String(SHARDS), '--job-name', 'socketlab-ci', 'bash', join(state, 'job.sh')], { env: { ...env, SOCKETLAB_OUT: out }, cwd: state });
    writeFileSync(join(state, 'job.log'), log);
  } catch (err) {
    throw new Error(`the sharded job failed (exit ${err.status}):\n${err.stdout}\n${err.stderr}`);
  }
  const jobS = (performance.now() - t1) / 1000;
  unsharded('whole-after.json');
  const merged = JSON.parse(readFileSync(join(out, 'merged.json'), 'utf8'));
  const shardFiles = readdirSync(out).filter((f) => /^shard-\d+\.json$/.test(f));

  // The report reads the merged file like any other.
  sh(process.execPath, [REPORT, '--in', join(out, 'merged.json'), '--out', join(state, 'report'), '--quiet', '--no-copy']);
  const readme = readFileSync(join(state, 'report/README.md'), 'utf8');

  const failures = [];
  const check = (ok, what) => {
    if (!ok) failures.push(what);
  };
  check(shardFiles.length === SHARDS, `${SHARDS} shard files (got ${shardFiles.join(', ')})`);
  check(merged.complete === true, `merged complete (abortReason ${merged.abortReason})`);
  check(merged.merged?.count === SHARDS, 'merged.count');
  const shardDocs = shardFiles.map((f) => JSON.parse(readFileSync(join(out, f), 'utf8')));
  const nodes = new Set(shardDocs.map((d) => d.shard.node));
  check(nodes.size === NODES, `shards spread over ${NODES} nodes (got ${[...nodes].join(', ')})`);
  // The nodes are one machine: each shard must have found the other three there and left them out of its
  // foreign CPU (before, every shard's runs were flagged noisy by the others).
  const shardRuns = shardDocs.flatMap((d) => d.cells[0].runs.map((r) => ({ shard: d.shard.index, run: r })));
  for (const { shard, run } of shardRuns) check(run.noise?.cohostedShards === SHARDS - 1, `shard ${shard} run ${run.index}: ${SHARDS - 1} co-hosted shards found (got ${run.noise?.cohostedShards})`);
  const runs = merged.cells[0].runs;
  check(runs.length === RUNS, `${RUNS} merged runs`);
  for (const r of runs) {
    check(r.clients.count === CLIENTS && r.clients.completed === CLIENTS, `run ${r.index}: ${CLIENTS} clients completed (got ${r.clients.completed})`);
    check(r.shards.parts.map((p) => p.clients).join() === '25,25,25,25', `run ${r.index}: 4 × 25`);
  }
  check(readme.includes('external'), 'the report names the external design');

  const sharded = runs.map((r) => r.totalMs);
  const shardedMedian = median(sharded);
  const lo = Math.min(...wholeTotals);
  const hi = Math.max(...wholeTotals);
  const w = Math.max(hi - lo, 0.1 * median(wholeTotals));
  check(shardedMedian >= lo - w && shardedMedian <= hi + w, `sharded median ${shardedMedian} ms within the unsharded band [${(lo - w).toFixed(1)}, ${(hi + w).toFixed(1)}] ms`);

  const skews = runs.map((r) => r.shards.startSkewMs);
  const offsets = runs.flatMap((r) => r.shards.parts.map((p) => Math.abs(p.sync.clockOffsetMs)));
  log(`Slurm set-up ${setupS.toFixed(1)} s (setup.sh, including any apt-get); sharded job ${jobS.toFixed(1)} s (salloc: ${SHARDS} shards via srun, then the merge)`);
  log(`start skew per run (ms): ${skews.join(', ')}; max ${merged.merged.maxStartSkewMs}; max |clock offset| ${Math.max(...offsets).toFixed(3)} ms`);
  log(`1 × ${CLIENTS} totals (ms): ${wholeTotals.join(', ')}`);
  log(`${SHARDS} × ${CLIENTS / SHARDS} merged totals (ms): ${sharded.join(', ')}; median ${shardedMedian}`);
  log(`shard runs flagged noisy: ${shardRuns.filter((x) => x.run.noise?.noisy).length} of ${shardRuns.length}; foreign CPU shares: ${shardRuns.map((x) => x.run.noise?.foreignCpuShare).join(', ')}`);
  log(`merged p50/p99 latency: ${runs.map((r) => `${r.tasks.latencyUs.p50}/${r.tasks.latencyUs.p99} µs`).join('; ')}`);
  if (failures.length) throw new Error(`failed:\n  ${failures.join('\n  ')}`);
  log('PASSED');
}

function skip(reason) {
  log(`SKIPPED: ${reason}`);
  process.exitCode = SKIP;
}

async function cleanup() {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(started.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  if (slurmUp) {
    try {
      process.stdout.write(sh('bash', [join(ROOT, 'tools/slurm/teardown.sh'), state]));
    } catch (err) {
      log(`teardown failed: ${err.message}`);
      process.exitCode = 1;
    }
  }
  if (process.exitCode === 0 || process.exitCode === undefined || process.exitCode === SKIP) rmSync(state, { recursive: true, force: true });
  else log(`kept ${state} for inspection`);
}

main()
  .catch((err) => {
    log(err.message);
    process.exitCode = 1;
  })
  .finally(cleanup);
