import { readFileSync } from 'node:fs';
import { allStats } from '@socketlab/results';

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
