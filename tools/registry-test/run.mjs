#!/usr/bin/env node
// Release test: "npm i @socketlab/server-mt works for a stranger".
//
// 1. Installs its own dependencies (verdaccio 6.10.4, see package.json) with `npm ci` if they are missing.
// 2. Starts a throwaway Verdaccio on 127.0.0.1 on a free port, storage in a temp dir; `@socketlab/*` is
//    local only, everything else is proxied to the npm registry this machine uses.
// 3. Publishes every non-private package under packages/ with the real release flow (`changeset publish`,
//    npm_config_registry + a temp userconfig holding a dummy token). It runs in a temp git repo holding a
//    copy of the workspace (package.json files + built dist), so the tags it creates and any file it
//    writes never reach this repo. A package with no build script yet is skipped ("not built yet").
// 4. In an empty temp folder, as a new user would: `npm i @socketlab/server-mt` (then the others), runs
//    each server bin (`npx socketlab-server-* --port 0`) and talks to it over plain node:net, runs the
//    other bins with --help, `import`s and `require`s every export, starts each server from its API and
//    queries it with the @socketlab/protocol client, and type-checks a .mts and a .cts consumer with
//    `tsc --noEmit` (module nodenext), plus a CommonJS one on TypeScript's legacy node10 resolution.
// 5. Stops Verdaccio and every process it started (by PID), removes its temp dirs, prints
//    `N passed, N failed[, N skipped]` last and exits non-zero on any failure.
//
// 4b. Installs @socketlab/report alone in another empty folder: it must bring no @socketlab/server-* and no
//    @socketlab/loadgen (a reader installs no writer); the installed package count is printed.
//
// run.mjs is the sequence; lib/ holds its parts: output (check results), processes, packages (what each
// declares, the snapshot), verdaccio, server-checks, api-checks (import/require/tsc), reader-install.
//
// Needs the packages built first (`npm run build` or `npm test` at the repo root).
// Env: REGISTRY_TEST_TIMEOUT_MS (global bound, default 600000 = 10 min), REGISTRY_TEST_KEEP=1 keeps the
// temp dir for debugging (its path is printed).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseResults, writeApiChecks, writeTsChecks } from './lib/api-checks.mjs';
import { installReportAlone } from './lib/reader-install.mjs';
import { check, fail, indent, secs, section } from './lib/output.mjs';
import { binsOf, declaredFiles, discoverPackages, ensureOwnDeps, entryPoints, listFiles, makeSnapshot, readJson, UNWANTED } from './lib/packages.mjs';
import { baseEnv, killTree, run, runOk, stripNoise, waitExit } from './lib/processes.mjs';
import { smokeServerBin } from './lib/server-checks.mjs';
import { DUMMY_TOKEN, GLOBAL_TIMEOUT_MS, KEEP_TMP, REPO, TS_VERSION, TYPES_NODE_VERSION, VERDACCIO_VERSION, state } from './lib/state.mjs';
import { startVerdaccio } from './lib/verdaccio.mjs';

// --------------------------------------------------------------------------------------------------- main

async function gitState() {
  if ((await run('git', ['rev-parse', '--git-dir'], { cwd: REPO })).code !== 0) return null;
  const tags = (await run('git', ['tag', '-l'], { cwd: REPO })).stdout;
  // Only the files the release flow could write (manifests, changelogs, changesets, lockfile).
  const status = (await run('git', ['status', '--porcelain', '--', 'package.json', 'package-lock.json', '.changeset', ':(glob)packages/*/package.json', ':(glob)packages/*/CHANGELOG.md'], { cwd: REPO })).stdout;
  return { tags, status };
}

async function main() {
  console.log(`registry test: node ${process.version}, repo ${REPO}`);
  const gitBefore = await gitState();
  if (!(await ensureOwnDeps())) return;

  const rootPkg = readJson(path.join(REPO, 'package.json'));
  section('packages');
  const { all, publish, notPublished } = discoverPackages(rootPkg);
  if (!publish.length) {
    fail('at least one package to publish', 'none is built: run `npm run build` at the repo root first');
    return;
  }
  console.log(`to publish: ${publish.map((w) => `${w.pkg.name}@${w.pkg.version}`).join(', ')}`);

  state.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socketlab-registry-test-'));
  console.log(`temp dir: ${state.tmp}`);
  const snapshot = path.join(state.tmp, 'repo');
  const consumer = path.join(state.tmp, 'consumer');
  const npmrc = path.join(state.tmp, 'npmrc');

  section('registry');
  const uplink = (await run('npm', ['config', 'get', 'registry'], { cwd: os.tmpdir() })).stdout.trim() || 'https://registry.npmjs.org/';
  const verdaccio = await check(`verdaccio ${VERDACCIO_VERSION} starts on 127.0.0.1 (uplink ${uplink})`, async () => {
    return startVerdaccio(path.join(state.tmp, 'verdaccio'), uplink);
  });
  if (!verdaccio) return;
  console.log(`registry: ${verdaccio.url} (pid ${verdaccio.child.pid})`);
  const host = verdaccio.url.replace(/^http:/, '');
  fs.writeFileSync(
    npmrc,
    [`registry=${verdaccio.url}`, `${host}:_authToken=${DUMMY_TOKEN}`, `cache=${path.join(state.tmp, 'npm-cache')}`, 'audit=false', 'fund=false', 'update-notifier=false', ''].join('\n'),
  );
  // A stranger's npm: only our userconfig (registry + dummy token + an empty cache), no inherited npm_* vars.
  const userEnv = baseEnv({ NPM_CONFIG_USERCONFIG: npmrc });

  section('publish with the release flow (changeset publish)');
  const published = await check('changeset publish to the local registry', async () => {
    await makeSnapshot(snapshot, all, notPublished);
    const changesetBin = path.join(REPO, 'node_modules', '@changesets', 'cli', 'bin.js');
    if (!fs.existsSync(changesetBin)) throw new Error(`${changesetBin} is missing: run \`npm ci\` at the repo root first`);
    const env = { ...userEnv, npm_config_registry: verdaccio.url, 'npm_config_@socketlab:registry': verdaccio.url };
    const r = await runOk(process.execPath, [changesetBin, 'publish'], { cwd: snapshot, env, timeoutMs: 180_000 });
    const out = stripNoise(r.stdout + r.stderr);
    console.log(indent(out.split('\n').filter((l) => /success|error|warn|published|New tag/i.test(l)).join('\n'), 30));
    return `${publish.length} packages`;
  });
  if (!published) return;
  for (const { pkg } of publish) {
    await check(`${pkg.name}@${pkg.version} is on the registry, tagged in the temp repo only`, async () => {
      const r = await runOk('npm', ['view', `${pkg.name}@${pkg.version}`, 'version', '--json'], { cwd: state.tmp, env: userEnv });
      if (JSON.parse(r.stdout) !== pkg.version) throw new Error(`npm view says ${r.stdout.trim()}`);
      const tags = (await runOk('git', ['tag', '-l'], { cwd: snapshot })).stdout.split('\n');
      if (!tags.includes(`${pkg.name}@${pkg.version}`)) throw new Error(`changeset publish did not tag ${pkg.name}@${pkg.version} (tags: ${tags.join(' ')})`);
    });
  }

  section('a reader installs no writer');
  if (publish.some((w) => w.pkg.name === '@socketlab/report')) {
    await check('npm i @socketlab/report in an empty folder installs no @socketlab/server-* and no @socketlab/loadgen', () => installReportAlone(path.join(state.tmp, 'report-alone'), userEnv));
  }

  section('install as a new user');
  const names = publish.map((w) => w.pkg.name);
  const byName = new Map(publish.map((w) => [w.pkg.name, w.pkg]));
  fs.mkdirSync(consumer);
  await runOk('npm', ['init', '-y'], { cwd: consumer, env: userEnv });
  const first = byName.has('@socketlab/server-mt') ? '@socketlab/server-mt' : names[0];
  const firstOk = await check(`npm i ${first} in an empty folder`, async () => {
    const r = await runOk('npm', ['i', first], { cwd: consumer, env: userEnv, timeoutMs: 180_000 });
    const deps = Object.keys(byName.get(first).dependencies ?? {}).filter((d) => !fs.existsSync(path.join(consumer, 'node_modules', d, 'package.json')));
    if (deps.length) throw new Error(`its dependencies were not installed: ${deps.join(', ')}`);
    return secs(r.ms);
  });
  if (firstOk && binsOf(byName.get(first)).some((b) => b.startsWith('socketlab-server-'))) {
    for (const bin of binsOf(byName.get(first))) await check(`npx ${bin} --port 0 serves PING/FIB/EXIT over node:net, exits on SIGTERM`, () => smokeServerBin(bin, consumer, userEnv));
  }
  const rest = names.filter((n) => n !== first);
  const restOk = !rest.length || (await check(`npm i ${rest.join(' ')}`, async () => secs((await runOk('npm', ['i', ...rest], { cwd: consumer, env: userEnv, timeoutMs: 300_000 })).ms)));
  const tsOk = await check(`npm i -D typescript@${TS_VERSION} @types/node@${TYPES_NODE_VERSION}`, async () =>
    secs((await runOk('npm', ['i', '-D', `typescript@${TS_VERSION}`, `@types/node@${TYPES_NODE_VERSION}`], { cwd: consumer, env: userEnv, timeoutMs: 300_000 })).ms),
  );

  section('tarballs');
  for (const name of names) {
    const dir = path.join(consumer, 'node_modules', ...name.split('/'));
    if (!fs.existsSync(dir)) continue;
    await check(`${name} tarball: declared files present, no sources/tests/configs, real dependency ranges`, () => {
      const manifest = readJson(path.join(dir, 'package.json'));
      const files = listFiles(dir);
      const missing = declaredFiles(manifest).filter((f) => !files.includes(f));
      if (missing.length) throw new Error(`missing from the tarball: ${missing.join(', ')}`);
      const unwanted = files.filter((f) => UNWANTED.some((re) => re.test(f)));
      if (unwanted.length) throw new Error(`should not ship: ${unwanted.join(', ')}`);
      const badRanges = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies }).filter(([, r]) => !/^[\^~]?\d+\.\d+\.\d+(-[\w.]+)?$/.test(r));
      if (badRanges.length) throw new Error(`dependency ranges that are not semver versions: ${badRanges.map(([d, r]) => `${d}@${r}`).join(', ')}`);
      return `${files.length} files`;
    });
  }

  section('bins');
  for (const name of rest) {
    if (!restOk) break;
    for (const bin of binsOf(byName.get(name))) {
      if (bin.startsWith('socketlab-server-')) {
        await check(`npx ${bin} --port 0 serves PING/FIB/EXIT over node:net, exits on SIGTERM`, () => smokeServerBin(bin, consumer, userEnv));
      }
    }
  }
  for (const name of names) {
    if (name === first ? !firstOk : !restOk) continue;
    const pkg = byName.get(name);
    for (const bin of binsOf(pkg)) {
      await check(`npx ${bin} --help`, async () => {
        const r = await runOk('npx', ['--no-install', bin, '--help'], { cwd: consumer, env: userEnv, timeoutMs: 60_000 });
        if (!r.stdout.trim()) throw new Error('printed nothing on stdout');
        return r.stdout.trim().split('\n')[0];
      });
      if (bin.startsWith('socketlab-server-')) {
        await check(`npx ${bin} --version prints ${pkg.version}`, async () => {
          const r = await runOk('npx', ['--no-install', bin, '--version'], { cwd: consumer, env: userEnv, timeoutMs: 60_000 });
          if (r.stdout.trim() !== pkg.version) throw new Error(`printed ${JSON.stringify(r.stdout.trim())}`);
        });
      }
    }
  }

  if (!firstOk || !restOk) return;
  section('API: import, require, a server started from the API');
  const entries = publish.flatMap((w) => entryPoints(w.pkg));
  writeApiChecks(consumer, entries);
  parseResults('node api-check.mjs', await run(process.execPath, ['api-check.mjs'], { cwd: consumer, env: userEnv, timeoutMs: 90_000 }));
  parseResults('node api-check.cjs', await run(process.execPath, ['api-check.cjs'], { cwd: consumer, env: userEnv, timeoutMs: 90_000 }));

  section('types');
  if (!tsOk) return;
  writeTsChecks(consumer, entries, new Set(names));
  await check(`tsc --noEmit (module nodenext): check.mts (import) + check.cts (require), TypeScript ${TS_VERSION}`, async () => {
    const r = await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: consumer, env: userEnv, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${stripNoise(r.stdout + r.stderr)}\n--- check.mts\n${fs.readFileSync(path.join(consumer, 'check.mts'), 'utf8')}--- check.cts\n${fs.readFileSync(path.join(consumer, 'check.cts'), 'utf8')}`);
    return secs(r.ms);
  });
  await check('tsc --noEmit (module commonjs, moduleResolution node10) resolves every typed entry point', async () => {
    const r = await run('npx', ['--no-install', 'tsc', '-p', 'node10/tsconfig.json'], { cwd: consumer, env: userEnv, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${stripNoise(r.stdout + r.stderr)}\n--- node10/check.ts\n${fs.readFileSync(path.join(consumer, 'node10', 'check.ts'), 'utf8')}`);
    return secs(r.ms);
  });

  section('teardown');
  await check(`verdaccio (pid ${verdaccio.child.pid}) stops on SIGTERM`, async () => {
    process.kill(verdaccio.child.pid, 'SIGTERM'); // by PID: verdaccio renames its process title
    const exit = await waitExit(verdaccio.child, 10_000);
    if (!exit) throw new Error('still running 10 s after SIGTERM');
  });
  const gitAfter = await gitState();
  if (gitBefore && gitAfter) {
    await check('the repo has no new git tags and no changed manifests/changelogs', () => {
      if (gitAfter.tags !== gitBefore.tags) throw new Error(`tags before:\n${gitBefore.tags}\ntags after:\n${gitAfter.tags}`);
      if (gitAfter.status !== gitBefore.status) throw new Error(`git status before:\n${gitBefore.status}\nafter:\n${gitAfter.status}`);
    });
  }
}

/** Ends every process this run started (their whole process groups) and removes the temp dir. */
async function cleanup() {
  const groups = [...state.children].filter((c) => c.pid);
  const groupAlive = (c) => {
    try {
      process.kill(-c.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const c of groups) killTree(c, 'SIGTERM');
  for (let i = 0; i < 30 && groups.some(groupAlive); i++) await new Promise((r) => setTimeout(r, 100));
  const stubborn = groups.filter(groupAlive);
  for (const c of stubborn) killTree(c, 'SIGKILL');
  for (let i = 0; i < 20 && stubborn.some(groupAlive); i++) await new Promise((r) => setTimeout(r, 100));
  const left = stubborn.filter(groupAlive);
  if (left.length) fail('every process this run started has exited', left.map((c) => `process group ${c.pid}: ${c.spawnargs.join(' ')}`).join('\n'));
  if (state.tmp) {
    if (KEEP_TMP) console.log(`kept temp dir ${state.tmp}`);
    else {
      try {
        fs.rmSync(state.tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch (err) {
        fail(`temp dir ${state.tmp} removed`, err.message);
      }
    }
  }
}

let finished = false;
async function finish(code) {
  if (finished) return;
  finished = true;
  state.stopping = true;
  await cleanup();
  const count = (s) => state.results.filter((r) => r.status === s).length;
  const [passed, failed, skipped] = [count('pass'), count('fail'), count('skip')];
  console.log(`\nregistry test finished in ${secs(performance.now() - state.t0)}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed || code ? 1 : 0);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    fail(`interrupted by ${signal}`);
    void finish(1);
  });
}
const globalTimer = setTimeout(() => {
  fail(`the whole run finishes within ${secs(GLOBAL_TIMEOUT_MS)}`, 'global timeout: state.stopping everything');
  void finish(1);
}, GLOBAL_TIMEOUT_MS);

main().then(
  () => {
    clearTimeout(globalTimer);
    return finish(0);
  },
  (err) => {
    clearTimeout(globalTimer);
    if (!state.stopping) fail('registry test crashed', err?.stack ?? String(err));
    return finish(1);
  },
);
