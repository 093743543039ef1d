import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { HAS_PROCFS, clockTicksPerSecond, processCpuMs, processTree, sampleTree, ticksToMs } from '../src/index.ts';

describe('process-tree reader', { skip: !HAS_PROCFS && 'no /proc' }, () => {
  const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  after(() => busy.kill('SIGKILL'));

  it('reads the clock tick from getconf, not an assumed 100', () => {
    assert.equal(clockTicksPerSecond(), Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));
    assert.equal(ticksToMs(clockTicksPerSecond()), 1000);
  });

  it('sees a child in the tree and counts its CPU time', async () => {
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(processTree(process.pid).includes(busy.pid!));
    const own = processCpuMs(busy.pid!);
    assert.ok(own !== null && own >= 200, `a 400 ms busy loop used ${own} ms of CPU`);
    const tree = sampleTree(busy.pid!);
    assert.ok(tree && tree.processes.has(busy.pid!) && tree.rssBytes > 0 && tree.threads >= 1);
    assert.ok(ticksToMs(tree.userTicks + tree.systemTicks) >= own! - 1);
  });

  it('answers null for a process that is gone', () => {
    assert.equal(processCpuMs(2 ** 22 + 1), null);
  });
});
