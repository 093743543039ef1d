#!/usr/bin/env node
// Stress mode: the server suites (conformance, behaviour, robustness, CLI, and the parent-kill trials)
// run round after round beside CPU burners that this script starts and stops by pid, so that a case
// that passes only on a quiet machine fails here instead of in someone's CI.
//
//   npm run test:stress                              # 5 rounds, 2 burners, 50 parent-kill trials per family
//   npm run test:stress -- --rounds 1                # what CI runs
//   node tools/scripts/stress.mjs --burners 0 --rounds 2 --packages server-mp
//
// Needs a build first (`npm test` or `npx nx run-many -t build`). Exit code: 0 if every suite passed in
// every round, 1 otherwise, 2 on bad usage. Prints each suite's time and failing tests as it goes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULTS = Object.freeze({ rounds: 5, burners: 2, killTrials: 50, packages: 'server-single,server-mp,server-mt', suiteTimeoutS: 1200 });
const HELP = `Usage: node tools/scripts/stress.mjs [options]

Runs the server suites (every test file of each package) round after round beside CPU burners.

Options:
  --rounds <n>            rounds (default ${DEFAULTS.rounds})
  --burners <n>           busy-looping processes beside the tests, started and stopped by pid (default ${DEFAULTS.burners})
  --kill-trials <n>       SIGKILL trials per server family in the parent-kill suite (default ${DEFAULTS.killTrials})
  --packages <list>       comma-separated packages (default ${DEFAULTS.packages})
  --suite-timeout-s <n>   a package's test run is killed after this many seconds, in s (default ${DEFAULTS.suiteTimeoutS})
  -h, --help              this text
`;

function usage(message) {
  process.stderr.write(`stress: ${message}\n\n${HELP}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      rounds: { type: 'string' }, burners: { type: 'string' }, 'kill-trials': { type: 'string' },
      packages: { type: 'string' }, 'suite-timeout-s': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (err) {
  usage(err.message);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
function count(flag, fallback, min) {
  if (args[flag] === undefined) return fallback;
  const n = Number(args[flag]);
  if (!Number.isInteger(n) || n < min) usage(`--${flag} must be an integer ≥ ${min} (got "${args[flag]}")`);
  return n;
}
const rounds = count('rounds', DEFAULTS.rounds, 1);
const burnerCount = count('burners', DEFAULTS.burners, 0);
const killTrials = count('kill-trials', DEFAULTS.killTrials, 1);
const suiteTimeoutS = count('suite-timeout-s', DEFAULTS.suiteTimeoutS, 1);
const packages = (args.packages ?? DEFAULTS.packages).split(',').filter(Boolean);

// Burners: each a node process spinning on one core. Stopped by pid on every way out.
const burners = [];
function stopBurners() {
  for (const b of burners.splice(0)) {
    try {
      process.kill(b.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', stopBurners);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
for (let i = 0; i < burnerCount; i++) {
  const b = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  burners.push(b);
}
console.log(`stress: ${rounds} round(s) of ${packages.join(', ')} beside ${burnerCount} CPU burner(s) (pids ${burners.map((b) => b.pid).join(', ') || 'none'}); ${killTrials} parent-kill trials per family`);

/** Runs one package's test files; resolves with its exit status, time and the names of failed tests. */
function runSuite(pkg) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const cwd = join(ROOT, 'packages', pkg);
    const child = spawn('npm', ['test', '--silent'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SOCKETLAB_KILL_TRIALS: String(killTrials), FORCE_COLOR: '0', NO_COLOR: '1' },
      detached: true,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\nstress: ${pkg} overran ${suiteTimeoutS} s: killed\n`;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, suiteTimeoutS * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        const failed = [...new Set(out.split('\n').filter((l) => /^\s*✖ /.test(l)).map((l) => l.trim().replace(/ \(\d+(\.\d+)?ms\)$/, '')))];
        resolve({ pkg, ok: code === 0, code: code ?? signal, seconds: (Date.now() - t0) / 1000, failed, out });
      }, 200); // not unref: with no burner, this timer is what keeps the loop alive until the result is in
    });
  });
}

const t0 = Date.now();
const failures = [];
for (let round = 1; round <= rounds; round++) {
  for (const pkg of packages) {
    const r = await runSuite(pkg);
    console.log(`stress: round ${round}/${rounds} ${pkg}: ${r.ok ? 'pass' : `FAIL (${r.code})`} in ${r.seconds.toFixed(0)} s`);
    if (!r.ok) {
      failures.push(`round ${round} ${pkg}`);
      // The runner's own summary of the failures (names, assertion messages, diagnostics), and the whole
      // output in a file under results/ (git ignores it).
      const at = r.out.lastIndexOf('failing tests:');
      console.log(at === -1 ? r.out.split('\n').slice(-60).join('\n') : r.out.slice(at).split('\n').filter((l) => !/^\s+at /.test(l)).slice(0, 80).join('\n'));
      const file = join(ROOT, 'results', 'stress', `round-${round}-${pkg}.log`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, r.out);
      console.log(`  (whole output: ${file})`);
    }
  }
}
stopBurners();
console.log(`stress: ${failures.length === 0 ? 'every suite passed' : `${failures.length} failed: ${failures.join('; ')}`} (${rounds} round(s), ${burnerCount} burner(s), ${((Date.now() - t0) / 60000).toFixed(1)} min)`);
process.exit(failures.length === 0 ? 0 : 1);
