import { InvalidOptionError } from '@socketlab/protocol';
import { HAS_PROCFS, isAlive, processTree, readProcStat, sampleTree, type TreeSample } from '@socketlab/results';
import type { AcceptCounts, SampledServer } from './server-process.ts';

/**
 * The --target server's process, when it runs on this machine (`--target-pid`). loadgen neither starts
 * nor stops it, but samples its process tree as it samples the servers it starts (each run's `server`:
 * CPU, peak RSS, processes, threads), and leaves its CPU out of the foreign CPU (sweep/noise.ts).
 * Remembered with its start time: if the pid comes to name another process, nothing more is sampled.
 */
export class TargetProcess implements SampledServer {
  readonly pid: number;
  readonly port: number;
  readonly acceptCounts = null;
  readonly #starttime: number;

  private constructor(pid: number, port: number, starttime: number) {
    this.pid = pid;
    this.port = port;
    this.#starttime = starttime;
  }

  /**
   * Attaches to `pid`, the process serving `target`. Throws InvalidOptionError naming `flag` without a
   * target, without /proc, or when no live process has that pid here.
   */
  static attach(pid: number, target: { host: string; port: number } | null, flag = '--target-pid'): TargetProcess {
    if (target === null) throw new InvalidOptionError(`${flag} applies only with ${flag.startsWith('--') ? '--target' : 'target'}: a server loadgen starts is sampled anyway`);
    if (!Number.isInteger(pid) || pid < 1) throw new InvalidOptionError(`${flag} must be a process id, an integer >= 1 (got ${pid})`);
    if (!HAS_PROCFS) throw new InvalidOptionError(`${flag} needs Linux's /proc to sample the server's process tree`);
    const stat = readProcStat(pid);
    if (stat === null || stat.state === 'Z' || stat.state === 'X') {
      throw new InvalidOptionError(`${flag} ${pid}: no such live process on this machine (the --target server must run here, in loadgen's pid namespace)`);
    }
    return new TargetProcess(pid, target.port, stat.starttime);
  }

  get alive(): boolean {
    return isAlive(this.pid, this.#starttime);
  }

  /** Samples the target's process tree (null without /proc or once it is gone). */
  sample(): TreeSample | null {
    return this.alive ? sampleTree(this.pid) : null;
  }

  /** Processes in its tree now (root included); null once it is gone. */
  processCount(): number | null {
    return this.alive ? processTree(this.pid).length : null;
  }

  /** A target logs no accept counts to loadgen. */
  async acceptCountsAtLeast(): Promise<AcceptCounts | null> {
    return null;
  }
}
