// A reader installs no writer: @socketlab/report alone brings neither the servers nor loadgen.
import fs from 'node:fs';
import path from 'node:path';
import { secs } from './output.mjs';
import { runOk } from './processes.mjs';
import { readJson } from './packages.mjs';

/**
 * Installs @socketlab/report alone in a fresh folder and lists what came with it: reading a results file
 * must not install the servers or the load generator (issue 11). Returns the installed package count,
 * which the release notes quote.
 */
export async function installReportAlone(dir, env) {
  fs.mkdirSync(dir);
  await runOk('npm', ['init', '-y'], { cwd: dir, env });
  const r = await runOk('npm', ['i', '@socketlab/report'], { cwd: dir, env, timeoutMs: 180_000 });
  // npm's hidden lockfile lists every package it put under node_modules, nested ones included.
  const installed = Object.keys(readJson(path.join(dir, 'node_modules', '.package-lock.json')).packages ?? {})
    .filter((p) => p.startsWith('node_modules/'))
    .map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
  const socketlab = [...new Set(installed.filter((n) => n.startsWith('@socketlab/')))].sort();
  const unwanted = socketlab.filter((n) => n.startsWith('@socketlab/server-') || n === '@socketlab/loadgen');
  if (unwanted.length) throw new Error(`installed ${unwanted.join(', ')} (${installed.length} packages in all: ${socketlab.join(', ')})`);
  return `${installed.length} packages (${socketlab.join(', ')}), ${secs(r.ms)}`;
}
