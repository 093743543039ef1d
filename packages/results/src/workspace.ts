import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The socketlab workspace root above `from` (a folder with nx.json and a package.json named
 * `socketlab`), or null. `npx nx run loadgen:sweep` runs in packages/loadgen; results still belong in the
 * workspace's own results/ folder, where the report also looks for them (`--latest`).
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

/** The newest sweep's copy in a results folder. */
export const LATEST_RESULTS_NAME = 'latest.json';
