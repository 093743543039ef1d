// Node's start-up floors on each Node.js line, measured side by side in one run: a bare process
// (`node -e 0`), a bare fork() to its first IPC message and exit, a bare `new Worker` to its first message
// and terminate (baselines.mjs fork/worker). Rounds are interleaved (each round visits every line, in a
// rotated order) so that a noisy moment hits every line alike; the table gives the median and the range.
//
//   node tools/bench/lines.mjs                              # 20.20.2 (end of life), 22, 24 (pinned), 26
//   node tools/bench/lines.mjs --rounds 7 --starts 20 --out /tmp/lines.json
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installNode } from '../scripts/node-lines.mjs';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '20.20.2,22.23.5,24.22.3,26.12.1' },
    rounds: { type: 'string', default: '5' },
    starts: { type: 'string', default: '20' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/lines.json', import.meta.url)) },
  },
});
const versions = values.lines.split(',');
const rounds = Number(values.rounds);
const starts = Number(values.starts);
const baselines = fileURLToPath(new URL('./baselines.mjs', import.meta.url));
const bins = Object.fromEntries(versions.map((v) => [v, installNode(v).bin]));

function bareStart(bin) {
  const t0 = performance.now();
  for (let i = 0; i < starts; i++) {
    const r = spawnSync(bin, ['-e', '0']);
    if (r.status !== 0) throw new Error(`${bin} -e 0 failed`);
  }
  return { wallMsPer: (performance.now() - t0) / starts };
}

function floor(bin, mode) {
  const r = spawnSync(bin, [baselines, mode, String(starts)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} baselines ${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const raw = Object.fromEntries(versions.map((v) => [v, { node: [], fork: [], worker: [], forkCpu: [], workerCpu: [] }]));
for (let round = 0; round < rounds; round++) {
  const order = versions.map((_, i) => versions[(i + round) % versions.length]);
  for (const v of order) {
    raw[v].node.push(bareStart(bins[v]).wallMsPer);
    const f = floor(bins[v], 'fork');
    raw[v].fork.push(f.wallMsPer);
    raw[v].forkCpu.push(f.cpuMsPer);
    const w = floor(bins[v], 'worker');
    raw[v].worker.push(w.wallMsPer);
    raw[v].workerCpu.push(w.cpuMsPer);
  }
  process.stderr.write(`round ${round + 1}/${rounds} done (load average ${os.loadavg()[0].toFixed(2)})\n`);
}

const r1 = (x) => Math.round(x * 10) / 10;
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: r1(s[Math.floor(s.length / 2)]), min: r1(s[0]), max: r1(s[s.length - 1]) };
};
const result = {
  what: 'Start-up floors per Node.js line; ms per start, median and range over interleaved rounds',
  environment: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), kernel: os.release(), loadAverageAtEnd: os.loadavg() },
  rounds,
  startsPerRound: starts,
  lines: Object.fromEntries(versions.map((v) => [v, Object.fromEntries(Object.entries(raw[v]).map(([k, xs]) => [k, { ...summary(xs), raw: xs.map(r1) }]))])),
};
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');

const cell = (s) => `${s.median} ms (${s.min}–${s.max})`;
console.log(`| | ${versions.map((v) => `Node ${v}`).join(' | ')} |`);
console.log(`| --- | ${versions.map(() => '---:').join(' | ')} |`);
const rows = [
  ['`node -e 0`, wall per start', 'node'],
  ['`fork()` → first IPC message → exit, wall', 'fork'],
  ['`fork()` …, CPU per child', 'forkCpu'],
  ['`new Worker` → first message → terminate, wall', 'worker'],
  ['`new Worker` …, CPU per thread', 'workerCpu'],
];
for (const [label, key] of rows) console.log(`| ${label} | ${versions.map((v) => cell(result.lines[v][key])).join(' | ')} |`);
console.log(`\n${rounds} interleaved rounds of ${starts} starts each; raw numbers in ${values.out}`);
