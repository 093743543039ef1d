import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LATEST_RESULTS_NAME, defaultResultsDir, type SweepResults } from '@socketlab/results';

/** `sweep-2026-11-23T22-58-52Z.json` for a sweep started at that instant (colons are not portable in names). */
export function resultsFileName(startedAt: string): string {
  return `sweep-${startedAt.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}.json`;
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Writes a results document. With `out`, to that file only; otherwise to
 * `<results dir>/sweep-<timestamp>.json` plus a copy at `<results dir>/latest.json`. Returns the paths.
 */
export function writeResults(results: SweepResults, options: { out?: string | null; cwd?: string } = {}): string[] {
  const text = JSON.stringify(results, null, 2) + '\n';
  const cwd = options.cwd ?? process.cwd();
  if (options.out) {
    const path = resolve(cwd, options.out);
    writeAtomic(path, text);
    return [path];
  }
  const dir = defaultResultsDir(cwd);
  const path = join(dir, resultsFileName(results.startedAt));
  writeAtomic(path, text);
  const latest = join(dir, LATEST_RESULTS_NAME);
  copyFileSync(path, `${latest}.tmp`);
  renameSync(`${latest}.tmp`, latest);
  return [path, latest];
}
