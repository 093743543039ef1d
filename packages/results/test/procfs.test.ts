import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HAS_PROCFS, clockTicksPerSecond, localPortRange, processCpuMs, processTree, readProcStat, sampleTree, ticksToMs, treeCpuTicks, treesCpuTicks } from '../src/index.ts';

describe('process-tree reader', { skip: !HAS_PROCFS && 'no /proc' }, () => {
  // The child spins until it has used 300 ms of CPU by its own count, then says so: a busy machine
  // stretches the wall time, never the CPU time, so the test does not depend on the load.
  const busy = spawn(process.execPath, ['-e', 'const t = process.cpuUsage(); for (;;) { const u = process.cpuUsage(t); if (u.user + u.system >= 300000) break; } console.log("done"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const spun = new Promise<void>((resolve) => busy.stdout!.once('data', () => resolve()));
  after(() => busy.kill('SIGKILL'));

  it('reads the clock tick from getconf, not an assumed 100', () => {
    assert.equal(clockTicksPerSecond(), Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));
    assert.equal(ticksToMs(clockTicksPerSecond()), 1000);
  });

  it('sees a child in the tree and counts its CPU time', async () => {
    await spun;
    assert.ok(processTree(process.pid).includes(busy.pid!));
    const own = processCpuMs(busy.pid!);
    assert.ok(own !== null && own >= 250, `a child that used 300 ms of CPU by its own count: /proc says ${own} ms`);
    const tree = sampleTree(busy.pid!);
    assert.ok(tree && tree.processes.has(busy.pid!) && tree.rssBytes > 0 && tree.threads >= 1);
    assert.ok(ticksToMs(tree.userTicks + tree.systemTicks) >= own! - 1);
  });

  it('counts several trees by root, each process once, and leaves out a root that is gone', async () => {
    await spun;
    const key = (pid: number) => `${pid}:${readProcStat(pid)!.starttime}`;
    const gone = 2 ** 22 + 1;
    // The child is in our tree: given as a root after us it adds nothing (no double count)...
    const after = treesCpuTicks([process.pid, busy.pid!, process.pid, gone]);
    assert.deepEqual([...after.keys()], [key(process.pid), key(busy.pid!)], 'one key per live root, the repeated root merged, the gone one absent');
    assert.equal(after.get(key(busy.pid!)), 0);
    assert.ok(after.get(key(process.pid))! >= treeCpuTicks(busy.pid!), 'our tree holds the child\'s ticks');
    // ...and given first it holds its own ticks, which our tree then leaves out.
    const first = treesCpuTicks([busy.pid!, process.pid]);
    assert.ok(ticksToMs(first.get(key(busy.pid!))!) >= 250, `the child's 300 ms: ${ticksToMs(first.get(key(busy.pid!))!)} ms`);
  });

  it('reads the ephemeral port range the kernel gives outgoing connections', () => {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    assert.deepEqual(localPortRange(), { low, high });
    assert.ok(low! > 0 && high! >= low! && high! <= 65535);
  });

  it('answers null for a process that is gone', () => {
    assert.equal(processCpuMs(2 ** 22 + 1), null);
  });
});
