#!/usr/bin/env node
// Runs the suites that prove the runtime code (protocol and results; every server's conformance, behaviour and CLI
// tests, not robustness (see SUITES); loadgen's and report's CLI tests) on the supported Node.js lines other than the pinned one.
// Each line is installed from the npm registry by node-lines.mjs. Needs a build first (`npm test` does it).
//
//   node tools/scripts/node-matrix.mjs                  # every line in LINES
//   node tools/scripts/node-matrix.mjs 26.12.1          # just these versions
//
// The pinned line (root package.json, optionalDependencies) runs the full suite in `npm test`; this covers
// the rest. Exit code: 0 if every suite passed on every line, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { installNode } from './node-lines.mjs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The supported lines besides the pinned 26.x (newest release of each on the registry when last moved). */
export const LINES = ['22.23.5', '24.22.3'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// What differs between lines is the runtime (socket transfer, reusePort, cluster, process and thread
// start-up), which the conformance, behaviour and CLI suites exercise on every design. The robustness
// suites and the parent-kill trials test the shared engine, the same JavaScript on every line: they run
// on the pinned line only (npm test, and the stress round).
const SERVER_FILES = /^(?!robustness|parent-kill).*\.test\.ts$/;
const SUITES = [
  ['packages/protocol', /\.test\.ts$/],
  ['packages/results', /\.test\.ts$/],
  ['packages/server-single', SERVER_FILES],
  ['packages/server-mp', SERVER_FILES],
  ['packages/server-mt', SERVER_FILES],
  ['packages/loadgen', /^cli\.test\.ts$/],
  ['packages/report', /^cli\.test\.ts$/],
];

function expand(cwd, re) {
  return readdirSync(join(cwd, 'test')).filter((f) => re.test(f)).sort().map((f) => `test/${f}`);
}

const versions = process.argv.slice(2).length ? process.argv.slice(2) : LINES;
const failures = [];
for (const version of versions) {
  const { bin, binDir } = installNode(version);
  const seen = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (seen !== `v${version}`) throw new Error(`installed node reports ${seen}, expected v${version}`);
  for (const [pkg, pattern] of SUITES) {
    const cwd = join(ROOT, pkg);
    const files = expand(cwd, pattern);
    const started = Date.now();
    // PATH puts this line first, so anything the tests spawn by name (and process.execPath) is this line too.
    const r = spawnSync(bin, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=dot', ...files], {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, SOCKETLAB_NODE_MATRIX: version },
    });
    const ok = r.status === 0;
    console.log(`node-matrix: ${seen} ${pkg} (${files.length} files): ${ok ? 'pass' : 'FAIL'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!ok) failures.push(`${seen} ${pkg}`);
  }
}
const pinned = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).optionalDependencies?.[`node-${process.platform}-${process.arch}`];
console.log(`node-matrix: ${failures.length === 0 ? 'all passed' : `${failures.length} failed: ${failures.join(', ')}`} (lines ${versions.join(', ')}; pinned ${pinned} runs in npm test)`);
process.exit(failures.length === 0 ? 0 : 1);
