import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseMachineCpu, validateResults } from '@socketlab/results';
import { startServer, type Server } from '@socketlab/server-single';
import { runSweep } from '../src/index.ts';
import { LearnedEta } from '../src/sweep/estimate.ts';
import { foreignCpu, type CpuSnapshot } from '../src/sweep/noise.ts';

const snap = (at: number, busyTicks: number, totalTicks: number, ourTicks: number): CpuSnapshot => ({ at, busyTicks, totalTicks, ourTicks });

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
