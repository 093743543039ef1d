import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { RuntimeFeatures } from '@socketlab/protocol';
import { HAS_PROCFS, clockTicksPerSecond, localPortRange, openFileLimit, pageSizeBytes, somaxconn } from '@socketlab/results';
import type { Environment } from '@socketlab/results';

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

/**
 * Describes the machine and software: recorded in every results document. `features` comes from
 * `detectRuntime()` (async, so the caller probes once and passes it in).
 */
export function collectEnvironment(features: RuntimeFeatures, cwd = process.cwd()): Environment {
  const { reusePort, socketTransfer } = features;
  const commit = git(['rev-parse', 'HEAD'], cwd);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no'], cwd);
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    kernelVersion: os.version(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    logicalCpus: cpus.length,
    totalMemoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    somaxconn: somaxconn(),
    localPortRange: localPortRange(),
    openFileLimit: openFileLimit(),
    clockTicksPerSecond: clockTicksPerSecond(),
    pageSizeBytes: pageSizeBytes(),
    procfs: HAS_PROCFS,
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    features: { reusePort, socketTransfer },
  };
}
