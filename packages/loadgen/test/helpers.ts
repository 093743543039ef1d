import { readFileSync } from 'node:fs';
import { collectEnvironment } from '../src/environment.ts';
import { createHistogram, histogramRecord, recordUs } from '../src/histogram.ts';
import { resolveConfig } from '../src/options.ts';
import { SCHEMA_VERSION, type RunResult, type SweepResults } from '../src/schema.ts';
import { stat } from '../src/stats.ts';
import { allStats } from '../src/procfs.ts';

/** A small, valid results document built by hand (one cell, one run). */
export function makeResults(): SweepResults {
  const config = resolveConfig({ preset: 'smoke', designs: ['single-iterative'], clients: [2] });
  const h = createHistogram();
  recordUs(h, 30_500);
  recordUs(h, 61_000);
  const latency = histogramRecord(h);
  const run: RunResult = {
    index: 0,
    serverInstance: 0,
    startedAt: '2026-11-23T12:00:00.000Z',
    complete: true,
    releaseAt: 1_795_000_000_000,
    totalMs: 61.5,
    wallMs: 62,
    clients: { count: 2, completed: 2, failed: 0, connectMs: [0.5, 0.6], firstReplyMs: [30.6, 61.2], completionMs: [30.9, 61.5] },
    tasks: { expected: 2, sent: 2, ok: 2, latencyUs: latency },
    errors: { total: 0, refused: 0, reset: 0, closed: 0, timeout: 0, protocol: {}, wrongResult: 0, other: 0 },
    errorSamples: [],
    server: { cpuUserMs: 10, cpuSystemMs: 0, cpuTotalMs: 10, peakRssBytes: 50_000_000, peakProcesses: 1, peakThreads: 11, samples: 3 },
    loadgen: {
      clientMode: 'workers', processes: 2, usableCores: 2, cpuUserMs: 3, cpuSystemMs: 1, cpuTotalMs: 4, parentCpuMs: 1,
      processCpuMs: [1.5, 1.5], utilization: 0.03, maxProcessUtilization: 0.02, saturated: false,
    },
  };
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: '@socketlab/loadgen', version: '0.1.0' },
    complete: true,
    abortReason: null,
    startedAt: '2026-11-23T12:00:00.000Z',
    endedAt: '2026-11-23T12:00:01.000Z',
    durationMs: 1000,
    scale: 'timeScale 0.01: tasks of 30 ms instead of 3000 ms',
    environment: collectEnvironment({ node: process.version, reusePort: true, socketTransfer: true }),
    config: structuredClone(config),
    cells: [
      {
        design: 'single-iterative',
        workload: 'sleep',
        clients: 2,
        complete: true,
        servers: [
          {
            index: 0, design: 'single-iterative', package: '@socketlab/server-single', command: ['bin.js', '--mode', 'iterative'], pid: 1234, port: 40000,
            startedAt: '2026-11-23T12:00:00.000Z', startupMs: 150,
            stop: { stopMs: 10, exitCode: 0, exitSignal: null, forcedKill: false, leftoverPids: [], portFree: true, clean: true },
            stderrTail: '',
          },
        ],
        runs: [run],
        summary: {
          completedRuns: 1,
          totalMs: stat([61.5]),
          serverCpuMs: stat([10]),
          serverPeakRssBytes: stat([50_000_000]),
          loadgenCpuMs: stat([4]),
          latencyP50Us: stat([latency.p50]),
          latencyP99Us: stat([latency.p99]),
          latencyUs: latency,
          errors: 0,
          saturatedRuns: 0,
        },
      },
    ],
    warnings: [],
  };
}

/** Pids still alive (not zombies) among `pids`. */
export function alivePids(pids: readonly (number | null)[]): number[] {
  const live = new Set(allStats().filter((s) => s.state !== 'Z').map((s) => s.pid));
  return pids.filter((p): p is number => p !== null && live.has(p));
}

/** Processes whose command line mentions `needle` (e.g. a server bin path), other than ours. */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const s of allStats()) {
    if (s.pid === process.pid || s.state === 'Z') continue;
    try {
      const cmd = readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(needle)) out.push(s.pid);
    } catch {
      // gone
    }
  }
  return out;
}
