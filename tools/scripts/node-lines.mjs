// Installs a given Node.js release from the npm registry (the `node-<platform>-<arch>` binary package, no
// install script) into node_modules/.cache/socketlab-node/<version>, once; later calls reuse it. Used by
// the CI matrix (node-matrix.mjs) and by the per-line start-up benchmark (tools/bench/lines.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** @returns {{ bin: string, binDir: string }} the node binary and the folder to put first on PATH. */
export function installNode(version) {
  const dir = join(ROOT, 'node_modules/.cache/socketlab-node', version);
  const binDir = join(dir, 'node_modules/.bin');
  const bin = join(binDir, 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const pkg = `node-${process.platform}-${process.arch}@${version}`;
    console.error(`installing ${pkg} from the registry into ${dir}`);
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', pkg], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !existsSync(bin)) throw new Error(`could not install ${pkg}`);
  }
  return { bin, binDir };
}
