import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { HAS_PROCFS, parseMachineCpu, processCpuMs, readProcStat, ticksToMs, validateResults } from '@socketlab/results';
import { startServer, type Server } from '@socketlab/server-single';
import { runSweep } from '../src/index.ts';
import { LearnedEta } from '../src/sweep/estimate.ts';
import { cpuSnapshot, foreignCpu, type CpuSnapshot } from '../src/sweep/noise.ts';

const snap = (at: number, busyTicks: number, totalTicks: number, ourTicks: number, others: Record<string, number> = {}): CpuSnapshot =>
  ({ at, busyTicks, totalTicks, trees: new Map([['1:1', ourTicks], ...Object.entries(others)]) });

describe('foreign CPU arithmetic', () => {
  it('parses /proc/stat\'s cpu line: steal counts as busy, iowait as idle', () => {
    const cpu = parseMachineCpu('cpu  100 10 50 800 20 5 5 10 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n');
    assert.deepEqual(cpu, { busyTicks: 180, totalTicks: 1000 });
    assert.equal(parseMachineCpu('intr 1 2 3'), null);
  });

  it('is the machine\'s busy time minus our tree\'s, as a share of capacity', () => {
    // 200 ticks of capacity (2 CPUs × 1 s), 150 busy, 50 of them ours: 100 foreign = half the machine.
    assert.deepEqual(foreignCpu(snap(0, 1000, 5000, 300), snap(1000, 1150, 5200, 350)), { share: 0.5, ms: 1000 });
    // Rounding can make our ticks exceed the machine's: clamped at 0, not negative work.
    assert.deepEqual(foreignCpu(snap(0, 0, 0, 0), snap(100, 10, 20, 12)), { share: 0, ms: 0 });
    assert.deepEqual(foreignCpu(null, snap(1, 1, 1, 1)), { share: null, ms: null });
  });

  it('leaves out every tree present at both ends; one that came or went in between counts as foreign', () => {
    // 100 busy of 200: 20 ours, 30 a co-hosted shard's, 40 a process that exited (absent at the end), 10 a new one.
    const a = snap(0, 0, 0, 0, { '7:5': 100, '8:5': 500 });
    const b = snap(1000, 100, 200, 20, { '7:5': 130, '9:5': 10 });
    assert.deepEqual(foreignCpu(a, b), { share: 0.25, ms: 500 });
    // The same pid with another start time is another process: its ticks are not the first one's.
    assert.deepEqual(foreignCpu(a, snap(1000, 100, 200, 20, { '7:6': 130 })), { share: 0.4, ms: 800 });
  });
});

describe('the learned ETA', () => {
  it('scales what is left by each design\'s own ratio, the overall one for designs not seen yet', () => {
    const eta = new LearnedEta();
    const plans = [{ design: 'mt-pool' as const, estimateMs: 100 }, { design: 'mp-pool' as const, estimateMs: 100 }];
    assert.equal(eta.remainingMs(plans, 0, 2, 0), 400, 'before any run: the estimates');
    eta.learn('mt-pool', 100, 300); // mt-pool takes 3 × its estimate
    // 1 mt-pool run left (× 3) + 2 mp-pool runs (overall ratio 3 until mp-pool has its own) = 900.
    assert.equal(eta.remainingMs(plans, 1, 2, 300), 900);
    eta.learn('mt-pool', 100, 300);
    eta.learn('mp-pool', 100, 100);
    assert.equal(eta.remainingMs(plans, 3, 2, 700), 100, 'mp-pool has its own ratio now');
  });
});

/**
 * A CPU burner outside this process's tree: `sh` starts it in the background and exits, so it is
 * reparented away from us, as another user's job would be. Returns its pid (killed in `after`).
 */
function startForeignBurner(): number {
  const out = execFileSync('sh', ['-c', `"${process.execPath}" -e "for(;;){}" >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
  return Number(out.trim());
}

/**
 * A bounded CPU burner outside our tree (see startForeignBurner): spins until it has used `cpuMs` of CPU
 * by its own count or 20 s have passed, then exits.
 */
function startBoundedBurner(cpuMs: number): number {
  const script = `const t=process.cpuUsage(),w=Date.now();for(;;){const u=process.cpuUsage(t);if(u.user+u.system>=${cpuMs * 1000}||Date.now()-w>20000)break}`;
  const out = execFileSync('sh', ['-c', `"${process.execPath}" -e '${script}' >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
  return Number(out.trim());
}

/** Polls (every 20 ms, at most 15 s) until `pid` has used `ms` of CPU; false if it is gone first or the time runs out. */
async function untilCpu(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    const used = processCpuMs(pid);
    if (used === null) return false;
    if (used >= ms) return true;
  }
  return false;
}

describe('foreign CPU over several process trees (a co-hosted shard\'s left out)', { skip: !HAS_PROCFS && 'no /proc' }, () => {
  let burner = 0;
  after(() => {
    try {
      if (burner) process.kill(burner, 'SIGKILL');
    } catch {
      // it had finished: it is bounded
    }
  });

  it('a process outside our tree is foreign unless its tree is excluded; once gone it contributes nothing', { timeout: 60_000 }, async () => {
    // Stands for another shard of the sweep on this machine: not our child, burning a bounded 3 s of CPU.
    burner = startBoundedBurner(3000);
    assert.ok(await untilCpu(burner, 50), 'the burner runs');
    const key = `${burner}:${readProcStat(burner)!.starttime}`;
    // Both views at each end, one right after the other: the machine's ticks barely move in between.
    const a = { with: cpuSnapshot([burner]), without: cpuSnapshot() };
    assert.ok(await untilCpu(burner, 450), 'the burner used 400 ms more');
    const b = { with: cpuSnapshot([burner]), without: cpuSnapshot() };
    assert.ok(a.with!.trees.has(key) && b.with!.trees.has(key) && !b.without!.trees.has(key));
    const burnerMs = ticksToMs(b.with!.trees.get(key)! - a.with!.trees.get(key)!);
    assert.ok(burnerMs >= 300, `the burner's tree used ${burnerMs} ms between the snapshots`);
    const excluded = foreignCpu(a.with, b.with).ms!;
    const counted = foreignCpu(a.without, b.without).ms!;
    // Other engineers' work on this machine is foreign in both; the burner only when not excluded. The
    // slack is the few ticks anything else (or rounding) takes between the two snapshots of one end.
    const slack = 50;
    assert.ok(counted >= burnerMs - slack, `not excluded, the burner is foreign: ${counted} ms foreign, the burner ${burnerMs} ms`);
    assert.ok(excluded <= counted - burnerMs + slack, `excluded, it is not: ${excluded} ms foreign vs ${counted} ms with it, the burner ${burnerMs} ms`);

    // Gone (killed by its pid): absent from the next snapshot, so its last window counts as foreign again.
    process.kill(burner, 'SIGKILL');
    for (const deadline = Date.now() + 5000; readProcStat(burner) !== null && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    burner = 0;
    const c = cpuSnapshot([Number(key.split(':')[0])]);
    assert.equal(c!.trees.has(key), false, 'a gone root contributes nothing');
    assert.deepEqual([...c!.trees.keys()], [`${process.pid}:${readProcStat(process.pid)!.starttime}`]);
  });
});

describe('noise in a sweep', () => {
  let server: Server;
  let burner = 0;
  before(async () => {
    server = await startServer({ mode: 'event-loop', port: 0 });
  });
  after(async () => {
    if (burner) process.kill(burner, 'SIGKILL');
    await server.close();
  });

  it('records every run\'s foreign CPU, load averages and settings; a burner makes it re-run and flags it', { timeout: 60_000 }, async () => {
    burner = startForeignBurner();
    const results = await runSweep({
      target: `127.0.0.1:${server.address.port}`, workloads: ['wait'], clients: [2], runs: 1, timeScale: 0.1,
      noiseThreshold: 0.2, noiseRetries: 1, quietWaitMs: 300, quietWindowMs: 100,
    });
    assert.deepEqual(validateResults(results).errors, []);
    assert.equal(results.config.noiseThreshold, 0.2);
    assert.equal(results.config.noiseRetries, 1);
    assert.equal(results.config.quietWaitMs, 300);
    const run = results.cells[0]!.runs[0]!;
    const noise = run.noise!;
    // One burner keeps one CPU busy: on any machine with up to 4 CPUs that is ≥ 0.25 of its capacity.
    assert.ok(noise.foreignCpuShare! > 0.2, `foreign share ${noise.foreignCpuShare}`);
    assert.equal(noise.noisy, true);
    assert.equal(noise.quiet, false, 'no quiet window within 300 ms');
    assert.ok(noise.quietWaitMs >= 300);
    assert.equal(noise.attempts, 2, 'the noisy run was run again');
    assert.equal(noise.attemptShares.length, 2);
    assert.equal(noise.foreignCpuShare, Math.min(...noise.attemptShares.map((s) => s!)), 'the quietest attempt is the one kept');
    assert.equal(noise.loadAverageStart.length, 3);
    assert.equal(noise.loadAverageEnd.length, 3);
    assert.equal(results.cells[0]!.summary.noisyRuns, 1);
    assert.ok(results.warnings.some((w) => /stayed noisy/.test(w)));
  });
});
