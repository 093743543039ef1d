import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SweepResults } from './schema.ts';

/**
 * The socketlab workspace root above `from` (a folder with nx.json and a package.json named
 * `socketlab`), or null. `npx nx run loadgen:sweep` runs in packages/loadgen; results still belong in the
 * workspace's own results/ folder.
 */
export function findWorkspaceRoot(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json')) && existsSync(join(dir, 'package.json'))) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
        if (pkg.name === 'socketlab') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Default results folder: `<workspace root>/results` inside the socketlab repo, else `<cwd>/results`. */
export function defaultResultsDir(cwd = process.cwd()): string {
  return join(findWorkspaceRoot(cwd) ?? resolve(cwd), 'results');
}

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
  const latest = join(dir, 'latest.json');
  copyFileSync(path, `${latest}.tmp`);
  renameSync(`${latest}.tmp`, latest);
  return [path, latest];
}
