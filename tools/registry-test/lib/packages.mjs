// The workspace's packages: what each declares (files, bins, export points), which get published, and
// the snapshot of the workspace that `changeset publish` runs in.
import fs from 'node:fs';
import path from 'node:path';
import { check, fail, pass, skip } from './output.mjs';
import { runOk } from './processes.mjs';
import { HERE, REPO, VERDACCIO_VERSION } from './state.mjs';

export const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
export const writeJson = (file, value) => fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');

/** Workspace folders from the root package.json (plain paths and trailing `/*` globs). */
export function workspaceDirs(rootPkg) {
  const dirs = [];
  for (const pattern of rootPkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = path.join(REPO, pattern.slice(0, -2));
      if (!fs.existsSync(parent)) continue;
      for (const d of fs.readdirSync(parent).sort()) if (fs.existsSync(path.join(parent, d, 'package.json'))) dirs.push(path.join(pattern.slice(0, -2), d));
    } else if (fs.existsSync(path.join(REPO, pattern, 'package.json'))) {
      dirs.push(pattern);
    }
  }
  return dirs;
}

/** Every file a manifest points at: exports targets, main/module/types, bin. */
export function declaredFiles(pkg) {
  const files = new Set();
  const walk = (v) => {
    if (typeof v === 'string') {
      if (v.startsWith('./') && !v.includes('*')) files.add(v.slice(2));
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(pkg.exports);
  for (const k of ['main', 'module', 'types', 'typings']) if (typeof pkg[k] === 'string') files.add(pkg[k].replace(/^\.\//, ''));
  const bin = typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : pkg.bin ?? {};
  for (const v of Object.values(bin)) files.add(v.replace(/^\.\//, ''));
  return [...files].sort();
}

export const binsOf = (pkg) => Object.keys(typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : pkg.bin ?? {});

/** The subpaths a consumer can load, and whether `require()` is a supported way to load each. */
export function entryPoints(pkg) {
  const exp = pkg.exports;
  const map = typeof exp === 'string' || (exp && !Object.keys(exp).some((k) => k.startsWith('.'))) ? { '.': exp } : exp ?? { '.': pkg.main ?? 'index.js' };
  const out = [];
  for (const [subpath, target] of Object.entries(map)) {
    if (subpath === './package.json' || subpath.includes('*')) continue;
    const json = subpath.endsWith('.json');
    const text = JSON.stringify(target);
    const require = json || /"require"/.test(text) || /\.cjs"/.test(text) || (typeof target === 'string' && pkg.type !== 'module' && !target.endsWith('.mjs'));
    const types = /"types"/.test(text) || /\.d\.[cm]?ts"/.test(text) || (subpath === '.' && !!pkg.types);
    out.push({ pkg: pkg.name, subpath, spec: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, json, require, types });
  }
  return out;
}

/** Files that must never ship in a tarball (STYLE §11). */
export const UNWANTED = [/(^|\/)(src|test|tests|__tests__|fixtures)\//, /\.(test|spec)\.[cm]?[jt]sx?$/, /(^|\/)tsconfig[^/]*\.json$/, /(^|\/)tsup\.config\./, /\.tsbuildinfo$/, /\.tgz$/, /(^|\/)\.[^/]+$/];

export function listFiles(dir, base = dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...listFiles(p, base));
    } else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

/** Sends each request, reads one reply line per request; resolves when the server closes the socket. */

export async function ensureOwnDeps() {
  const pkgFile = path.join(HERE, 'node_modules', 'verdaccio', 'package.json');
  const have = fs.existsSync(pkgFile) ? readJson(pkgFile).version : null;
  if (have === VERDACCIO_VERSION) {
    pass(`own deps present (verdaccio ${have})`);
    return true;
  }
  return check(`own deps installed: npm ci in tools/registry-test (verdaccio ${VERDACCIO_VERSION})`, async () => {
    await runOk('npm', ['ci', '--no-audit', '--no-fund'], { cwd: HERE, timeoutMs: 300_000 });
    const got = readJson(pkgFile).version;
    if (got !== VERDACCIO_VERSION) throw new Error(`npm ci installed verdaccio ${got}, expected ${VERDACCIO_VERSION}`);
  });
}

/** Sorts the workspace into packages to publish now and packages that do not exist yet. */

export function discoverPackages(rootPkg) {
  const all = [];
  for (const dir of workspaceDirs(rootPkg)) {
    const pkg = readJson(path.join(REPO, dir, 'package.json'));
    all.push({ dir, pkg });
  }
  const publish = [];
  const notPublished = new Set(); // workspace dirs made private in the snapshot
  for (const w of all) {
    const { dir, pkg } = w;
    if (pkg.private) continue;
    if (!dir.startsWith('packages/')) {
      fail(`${pkg.name}: every non-private workspace package lives under packages/`, `${dir} is not private; mark it "private": true or move it`);
      notPublished.add(dir);
      continue;
    }
    if (!pkg.scripts?.build) {
      skip(`publish ${pkg.name}`, 'not built yet: it has no build script');
      for (const bin of binsOf(pkg)) skip(`npx ${bin}`, `not built yet: ${pkg.name} has no build script`);
      notPublished.add(dir);
      continue;
    }
    const missing = declaredFiles(pkg).filter((f) => !fs.existsSync(path.join(REPO, dir, f)));
    if (missing.length) {
      fail(`${pkg.name} is built`, `missing ${missing.join(', ')}: run \`npm run build\` at the repo root first`);
      notPublished.add(dir);
      continue;
    }
    publish.push(w);
  }
  return { all, publish, notPublished };
}

/**
 * A temp git repo with a copy of the workspace as it is on disk (manifests, .changeset, built dist), so
 * `changeset publish` tags and writes there, never in this repo. Packages not published this run are
 * marked private in the copy, so changesets leaves them out.
 */
export async function makeSnapshot(dest, all, notPublished) {
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(dest, 'package.json'));
  fs.cpSync(path.join(REPO, '.changeset'), path.join(dest, '.changeset'), { recursive: true });
  const skipNames = new Set(['node_modules', '.nx', '.turbo', '.git']);
  for (const { dir } of all) {
    fs.cpSync(path.join(REPO, dir), path.join(dest, dir), {
      recursive: true,
      filter: (src) => !skipNames.has(path.basename(src)) && !src.endsWith('.tgz'),
    });
    if (notPublished.has(dir)) {
      const file = path.join(dest, dir, 'package.json');
      writeJson(file, { ...readJson(file), private: true });
    }
  }
  await runOk('git', ['init', '-q', '-b', 'main'], { cwd: dest });
  // Repo-local settings, so changesets' own `git tag -m` works without a global identity or signing setup.
  for (const [key, value] of [['user.name', 'registry-test'], ['user.email', 'registry-test@localhost'], ['commit.gpgsign', 'false'], ['tag.gpgsign', 'false']]) {
    await runOk('git', ['config', key, value], { cwd: dest });
  }
  await runOk('git', ['commit', '-q', '--allow-empty', '-m', 'registry-test snapshot'], { cwd: dest });
}
