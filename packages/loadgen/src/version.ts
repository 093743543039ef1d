import { readFileSync } from 'node:fs';

/** Reads the version from package.json: one folder up from src/ and dist/, two from dist/entry/. */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@socketlab/loadgen' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** Loadgen's package version (for `tool.version` and --version). */
export const VERSION = readVersion();
