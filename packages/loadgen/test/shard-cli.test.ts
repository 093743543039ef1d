import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { k8sManifest, slurmScript } from '../src/shard/launchers.ts';
import { VERSION } from '../src/version.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
const SWEEP = ['--target', 'server.example:7000', '--clients', '100', '--workloads', 'wait', '--time-scale', '0.1', '--runs', '3'];

/**
 * Compares with the committed snapshot (the version masked, so a release does not break it). Set
 * UPDATE_SNAPSHOTS=1 to rewrite them after a deliberate change, then review the diff.
 */
function snapshot(name: string, text: string): void {
  const file = new URL(`./snapshots/${name}`, import.meta.url);
  const masked = text.replaceAll(VERSION, '<version>');
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) writeFileSync(file, masked);
  assert.equal(masked, readFileSync(file, 'utf8'), `${name} differs from test/snapshots/${name} (UPDATE_SNAPSHOTS=1 to accept)`);
}

describe('launchers (snapshots)', () => {
  it('slurm: a batch script that sruns one shard per task on the first node\'s rendezvous, then merges', () => {
    const text = slurmScript({ shards: 4, nodes: 3, sweepArgs: SWEEP });
    snapshot('launcher-slurm.sh', text);
    assert.match(text, /^#SBATCH --nodes=3$/m);
    assert.match(text, /^#SBATCH --ntasks=4$/m);
    assert.match(text, /^export SOCKETLAB_RENDEZVOUS_SECRET="\$\{SOCKETLAB_RENDEZVOUS_SECRET:-\$\(od -An -N32 -tx1 \/dev\/urandom/m);
    assert.match(text, /srun --kill-on-bad-exit=1 \$LOADGEN --shard slurm --rendezvous "\$RENDEZVOUS" --out "\$OUT\/shard-\{shard\}\.json" --target server\.example:7000/);
    assert.match(text, /merge "\$OUT"\/shard-\*\.json --out "\$OUT\/merged\.json"/);
  });

  it('slurm: quotes sweep words the shell would split or expand', () => {
    assert.match(slurmScript({ sweepArgs: ['--threshold', 'p99<50ms', '--command', "it's"] }), / '--threshold' 'p99<50ms' '--command' 'it'\\''s'|--threshold 'p99<50ms' --command 'it'\\''s'/);
  });

  it('k8s: an Indexed Job of n pods and the headless Service that names pod 0', () => {
    const text = k8sManifest({ shards: 4, sweepArgs: SWEEP, secret: 'fixed-for-the-snapshot' });
    snapshot('launcher-k8s.yaml', text);
    // The rendezvous secret: a Secret, handed to every pod through its environment; fresh unless given.
    assert.match(text, /kind: Secret\n[^]*stringData:\n {2}secret: "fixed-for-the-snapshot"/);
    assert.match(text, /- name: SOCKETLAB_RENDEZVOUS_SECRET\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: socketlab-loadgen-rendezvous/);
    const fresh = [k8sManifest({}), k8sManifest({})].map((t) => /secret: "([0-9a-f]{64})"/.exec(t)?.[1]);
    assert.ok(fresh[0] && fresh[1] && fresh[0] !== fresh[1], 'a fresh 256-bit secret per manifest');
    assert.match(text, /completionMode: Indexed/);
    assert.match(text, /clusterIP: None/);
    assert.match(text, /"--shard", "k8s\/4", "--rendezvous", "socketlab-loadgen-0\.socketlab-loadgen:7070"/);
  });
});

describe('CLI: sharded sweeps, merge and launcher', () => {
  it('socketlab-loadgen launcher slurm prints the script; the sweep flags are checked', () => {
    const ok = run(['launcher', 'slurm', '--shards', '4', '--nodes', '3', '--', ...SWEEP]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, slurmScript({ shards: 4, nodes: 3, sweepArgs: SWEEP }));
    const bad = run(['launcher', 'slurm', '--', '--time-scale', 'fast']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--time-scale must be a number/);
    const owned = run(['launcher', 'k8s', '--', '--target', 'a:1', '--out', 'x.json']);
    assert.equal(owned.status, 2);
    assert.match(owned.stderr, /--out is set by the launcher for every shard/);
    const engine = run(['launcher', 'pbs']);
    assert.equal(engine.status, 2);
    assert.match(engine.stderr, /launcher must be one of slurm, k8s \(got "pbs"\)/);
  });

  it('refuses bad shard flags with exit 2, naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--shard', '4/4', '--target', 'a:1'], /--shard: the shard index must be below the count/],
      [['--shard', '0/2', '--rendezvous', '127.0.0.1:1'], /--shard needs --target/],
      [['--rendezvous', '127.0.0.1:1', '--target', 'a:1'], /--rendezvous applies only with --shard/],
      [['--shard', '1/2', '--target', '127.0.0.1:1'], /--rendezvous is required with --shard 1\/2/],
      [['--shard', '0/4', '--target', '127.0.0.1:1', '--clients', '2'], /--clients: with --shard 0\/4 every N must be at least the shard count 4 \(got 2\)/],
      [['--shard', '0/1', '--target', '127.0.0.1:1', '--noise-retries', '1'], /--noise-retries must be 0 with --shard/],
      [['--shard', '0/4', '--target', '127.0.0.1:1', '--model', 'open', '--rates', '100', '--connections', '2'], /--connections: with --shard 0\/4 there must be at least one connection per shard \(got 2\)/],
      [['--shard', '0/4', '--target', '127.0.0.1:1', '--model', 'open', '--rates', '3,100', '--connections', '8'], /--rates: with --shard 0\/4 every rate must be at least the shard count 4 requests\/s \(got 3\)/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('a shard whose peers never come fails with SOCKETLAB_ERR_SHARD_TIMEOUT (exit 1) within the timeout', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = run(['--shard', '0/2', '--rendezvous', `127.0.0.1:${port}`, '--rendezvous-timeout-ms', '300', '--target', '127.0.0.1:1', '--clients', '2']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /shard 1 of 2 did not connect to the rendezvous within 300 ms \(--rendezvous-timeout-ms\) \[SOCKETLAB_ERR_SHARD_TIMEOUT\]/);
  });

  it('merge: needs files and --out; refuses a file that is not a shard\'s with SOCKETLAB_ERR_SHARD_MERGE', () => {
    const none = run(['merge', '--out', '/tmp/x.json']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /merge needs the shard files/);
    const fixture = fileURLToPath(new URL('../../report/test/fixtures/small.json', import.meta.url));
    const r = run(['merge', fixture, '--json']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not a shard's results \(no "shard" field\).*\[SOCKETLAB_ERR_SHARD_MERGE\]/);
    const help = run(['merge', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: socketlab-loadgen merge/);
  });
});
