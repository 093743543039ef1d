#!/usr/bin/env node
// The sharded-run test on a real Slurm: set up 3 fake nodes (setup.sh), start a server on 127.0.0.1
// (server-single's event loop, --port 0), run a 4-shard × 25-client closed-model sweep across the nodes
// with the generated Slurm launcher (run in a salloc allocation: srun → merge), build the report from the
// merged file, and compare with 1 × 100 clients on the same server; then an open-model sweep (OPEN_RATE
// requests/s of PING over OPEN_CONNECTIONS connections, constant arrivals) the same way, 4 shards, merged
// and reported. Stops every daemon and process it started, by pid.
//
//   node tools/slurm/test.mjs          (root; after `npm run build`)
//   SOCKETLAB_SLURM_KEEP=dir node tools/slurm/test.mjs   also copies the merged files (and the shards') to dir
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
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
// Open model: 4 shards × 50 requests/s, constant arrivals (so the arrivals are the rate × the duration,
// exactly); then 50 % of the capacity the four shards probe together (every shard must derive one rate).
const OPEN_RATE = 200;
const OPEN_CONNECTIONS = 8;
const OPEN_DURATION_MS = 2000;
const OPEN_SWEEP = ['--model', 'open', '--rates', `${OPEN_RATE},50%`, '--probe-ms', '1000', '--connections', String(OPEN_CONNECTIONS), '--duration-ms', String(OPEN_DURATION_MS), '--arrival', 'constant', '--workloads', 'ping', '--runs', '2', '--quiet-wait-ms', '0', '--loadgen-workers', '1', '--no-progress', '--allow-errors'];
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
  // --target-pid: every shard runs on this machine, so each samples the server's process (runs[].server)
  // and leaves it out of its foreign CPU; the unsharded runs do the same.
  const target = `127.0.0.1:${server.port}`;
  const targetPid = ['--target-pid', String(server.child.pid)];
  log(`server single-event-loop on ${target}`);

  // 1 × 100 clients, RUNS runs before the sharded sweep and RUNS after it: the noise band, taken over
  // the same stretch of time as the sharded runs (a machine shared with other work drifts).
  const wholeTotals = [];
  const unsharded = (name) => {
    const file = join(state, name);
    sh(process.execPath, [LOADGEN, '--target', target, ...targetPid, ...SWEEP, '--quiet', '--out', file]);
    wholeTotals.push(...JSON.parse(readFileSync(file, 'utf8')).cells[0].runs.map((r) => r.totalMs));
  };
  unsharded('whole-before.json');

  // 4 × 25 clients over the 3 nodes: the generated launcher, run by sbatch (srun inside it, then the merge).
  const shardedJob = async (name, sweep) => {
    const port = await freePort();
    const script = sh(process.execPath, [LOADGEN, 'launcher', 'slurm', '--shards', String(SHARDS), '--nodes', String(NODES), '--port', String(port), '--rendezvous-host', '127.0.0.1', '--name', 'socketlab-ci', '--command', `${process.execPath} ${LOADGEN}`, '--', '--target', target, ...targetPid, ...sweep]);
    writeFileSync(join(state, `${name}.sh`), script);
    const dir = join(state, name);
    const t = performance.now();
    try {
      // salloc, not sbatch --wait: the same script in the same kind of allocation (its #SBATCH lines given
      // as flags), without sbatch's polling delay; its output comes back here.
      const log = sh('salloc', ['--nodes', String(NODES), '--ntasks', String(SHARDS), '--job-name', 'socketlab-ci', 'bash', join(state, `${name}.sh`)], { env: { ...env, SOCKETLAB_OUT: dir }, cwd: state });
      writeFileSync(join(state, `${name}.log`), log);
    } catch (err) {
      throw new Error(`the sharded ${name} job failed (exit ${err.status}):\n${err.stdout}\n${err.stderr}`);
    }
    return { dir, seconds: (performance.now() - t) / 1000 };
  };
  const { dir: out, seconds: jobS } = await shardedJob('out', SWEEP);
  unsharded('whole-after.json');
  // Information, not part of the rule: 1 × 100 clients spread over as many client processes as the four
  // shards use together, to tell the cost of more generator processes on the server's 2 cores from the
  // cost of sharding itself (the rendezvous, the agreed start, the merge).
  const control = join(state, 'whole-4-processes.json');
  sh(process.execPath, [LOADGEN, '--target', target, ...targetPid, ...SWEEP.map((a, i, all) => (all[i - 1] === '--loadgen-workers' ? String(SHARDS) : a)), '--quiet', '--out', control]);
  const controlTotals = JSON.parse(readFileSync(control, 'utf8')).cells[0].runs.map((r) => r.totalMs);
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
  check(runs.every((r) => r.server !== null && r.server.samples > 0), 'merged runs keep the server usage the shards sampled (--target-pid)');

  const sharded = runs.map((r) => r.totalMs);
  const shardedMedian = median(sharded);
  const lo = Math.min(...wholeTotals);
  const hi = Math.max(...wholeTotals);
  const w = Math.max(hi - lo, 0.1 * median(wholeTotals));
  check(shardedMedian >= lo - w && shardedMedian <= hi + w, `sharded median ${shardedMedian} ms within the unsharded band [${(lo - w).toFixed(1)}, ${(hi + w).toFixed(1)}] ms`);

  // The open model, 4 shards over the 3 nodes, merged and reported.
  const { dir: openOut, seconds: openJobS } = await shardedJob('open', OPEN_SWEEP);
  const openMerged = JSON.parse(readFileSync(join(openOut, 'merged.json'), 'utf8'));
  sh(process.execPath, [REPORT, '--in', join(openOut, 'merged.json'), '--out', join(state, 'open-report'), '--quiet', '--no-copy']);
  const openReadme = readFileSync(join(state, 'open-report/README.md'), 'utf8');
  check(openMerged.complete === true, `open: merged complete (abortReason ${openMerged.abortReason})`);
  const openCell = openMerged.cells[0];
  check(openCell.model === 'open' && openCell.open.rate === OPEN_RATE, `open: the first open-model cell at ${OPEN_RATE} requests/s`);
  const percentCell = openMerged.cells[1];
  const openShardCells = readdirSync(openOut).filter((f) => /^shard-\d+\.json$/.test(f)).map((f) => JSON.parse(readFileSync(join(openOut, f), 'utf8')).cells[1]);
  check(percentCell?.open?.ratePercent === 50 && percentCell.open.probe?.completed > 0, 'open: a cell at 50 % of the jointly probed capacity');
  check(openShardCells.length === SHARDS && openShardCells.every((c) => JSON.stringify(c.open) === JSON.stringify(percentCell?.open)), 'open: every shard derived the same probe and rate');
  const arrivalsExpected = (OPEN_RATE * OPEN_DURATION_MS) / 1000;
  for (const r of openCell.runs) {
    check(r.open.arrivals === arrivalsExpected, `open run ${r.index}: ${arrivalsExpected} arrivals from 4 shards' constant schedules (got ${r.open.arrivals})`);
    check(r.shards.parts.map((p) => p.targetRate).join() === '50,50,50,50', `open run ${r.index}: 4 × 50 requests/s (got ${r.shards.parts.map((p) => p.targetRate).join()})`);
    check(r.shards.parts.map((p) => p.clients).join() === '2,2,2,2', `open run ${r.index}: 4 × 2 connections`);
    check(r.open.completed === r.open.arrivals, `open run ${r.index}: every arrival answered (${r.open.completed} of ${r.open.arrivals}; dropped ${r.open.dropped}, timeouts ${r.open.timeouts})`);
  }
  check(/[Ll]atency vs throughput|latency.*throughput/.test(openReadme), 'open: the report draws latency vs throughput');

  const skews = runs.map((r) => r.shards.startSkewMs);
  const offsets = runs.flatMap((r) => r.shards.parts.map((p) => Math.abs(p.sync.clockOffsetMs)));
  log(`Slurm set-up ${setupS.toFixed(1)} s (setup.sh, including any apt-get); sharded job ${jobS.toFixed(1)} s (salloc: ${SHARDS} shards via srun, then the merge)`);
  log(`start skew per run (ms): ${skews.join(', ')}; max ${merged.merged.maxStartSkewMs}; max |clock offset| ${Math.max(...offsets).toFixed(3)} ms`);
  log(`1 × ${CLIENTS} totals (ms): ${wholeTotals.join(', ')}`);
  log(`${SHARDS} × ${CLIENTS / SHARDS} merged totals (ms): ${sharded.join(', ')}; median ${shardedMedian}`);
  log(`1 × ${CLIENTS} over ${SHARDS} client processes (information): totals (ms) ${controlTotals.join(', ')}; median ${median(controlTotals)}`);
  log(`shard runs flagged noisy: ${shardRuns.filter((x) => x.run.noise?.noisy).length} of ${shardRuns.length}; foreign CPU shares: ${shardRuns.map((x) => x.run.noise?.foreignCpuShare).join(', ')}`);
  log(`server CPU per merged run (ms, sampled through --target-pid): ${runs.map((r) => r.server?.cpuTotalMs).join(', ')}`);
  log(`merged p50/p99 latency: ${runs.map((r) => `${r.tasks.latencyUs.p50}/${r.tasks.latencyUs.p99} µs`).join('; ')}`);
  const openRuns = openCell.runs;
  log(`open model: sharded job ${openJobS.toFixed(1)} s; start skew per run (ms): ${openRuns.map((r) => r.shards.startSkewMs).join(', ')}`);
  if (percentCell?.open) log(`open model, 50 % of the joint probe: capacity ${percentCell.open.probe.throughputPerSec}/s (${percentCell.open.probe.completed} replies in ${percentCell.open.probe.durationMs} ms over 4 shards) → ${percentCell.open.rate}/s; throughput ${percentCell.runs.map((r) => r.open.throughputPerSec).join(', ')}/s; parts ${percentCell.runs[0]?.shards.parts.map((p) => p.targetRate).join('/')}`);
  log(`open model merged (${OPEN_RATE}/s target): throughput ${openRuns.map((r) => r.open.throughputPerSec).join(', ')}/s; response p50/p99 ${openRuns.map((r) => `${r.tasks.latencyUs.p50}/${r.tasks.latencyUs.p99}`).join('; ')} µs; service p99 ${openRuns.map((r) => r.open.serviceUs.p99).join(', ')} µs; saturated ${openRuns.map((r) => r.open.saturated).join(', ')}; generatorLimited ${openRuns.map((r) => r.open.generatorLimited).join(', ')}`);
  const keep = process.env.SOCKETLAB_SLURM_KEEP;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    cpSync(out, join(keep, 'closed'), { recursive: true });
    cpSync(openOut, join(keep, 'open'), { recursive: true });
    for (const f of ['whole-before.json', 'whole-after.json', 'whole-4-processes.json']) cpSync(join(state, f), join(keep, f));
    log(`kept the shard, merged and unsharded files in ${keep}`);
  }
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
