import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidOptionError } from '@socketlab/protocol';
import { choiceValue, integerValue, reportError, runCli, type CliDefinition, type CliFlag } from '@socketlab/protocol/cli';
import { escapeForLog } from '@socketlab/protocol/server';
import { ResultsInvalidError, defaultResultsDir, validateResults, type SweepResults } from '@socketlab/results';
import { parseTarget, type SweepOptions } from '../options.ts';
import { writeResults } from '../output.ts';
import { parseShard, type ShardIdentity } from './contract.ts';
import { DEFAULT_LAUNCHER_OPTIONS, LAUNCHER_ENGINES, k8sManifest, slurmScript, type LauncherEngine } from './launchers.ts';
import { mergeShardResults } from './merge.ts';
import { DEFAULT_RENDEZVOUS_OPTIONS } from './rendezvous.ts';
import type { ShardSession } from './session.ts';

/** The sweep's shard flags (cli.ts adds them to its table). They set no SweepOptions: a shard's config is the sweep's. */
export const SHARD_FLAGS: readonly (CliFlag & { default: string })[] = [
  { flag: '--shard', type: 'string', arg: '<i/n|slurm|k8s/n>', parse: (raw, flag) => parseShard(raw, flag), help: 'run as shard i of n (from 0) of a sharded sweep, taking its share of each N; slurm: from SLURM_PROCID/SLURM_NTASKS; k8s/n: from JOB_COMPLETION_INDEX (needs --target; see Sharded runs)', default: 'none' },
  { flag: '--rendezvous', type: 'string', arg: '<host:port>', parse: (raw, flag) => parseTarget(raw, flag), help: 'with --shard: where shard 0 listens and every shard connects, to agree on each run\'s start', default: 'none' },
  { flag: '--rendezvous-timeout-ms', type: 'string', arg: '<ms>', parse: integerValue, help: 'with --shard: longest wait for every shard to connect, and at each run for the last shard after the first; a shard missing fails the whole sweep, ms', default: String(DEFAULT_RENDEZVOUS_OPTIONS.timeoutMs) },
];

/** What the shard flags asked for; null when the sweep is not sharded. */
export interface ShardFlags {
  identity: ShardIdentity;
  rendezvous: { host: string; port: number } | null;
  timeoutMs: number;
}

export function shardFlags(flags: Record<string, unknown>): ShardFlags | null {
  const identity = flags.shard as ShardIdentity | undefined;
  const timeout = flags['rendezvous-timeout-ms'] as number | undefined;
  if (!identity) {
    if (flags.rendezvous !== undefined) throw new InvalidOptionError('--rendezvous applies only with --shard');
    if (timeout !== undefined) throw new InvalidOptionError('--rendezvous-timeout-ms applies only with --shard');
    return null;
  }
  if (timeout !== undefined && (timeout < 100 || timeout > 86_400_000)) throw new InvalidOptionError(`--rendezvous-timeout-ms must be between 100 and 86400000 (got ${timeout})`);
  return { identity, rendezvous: (flags.rendezvous as { host: string; port: number } | undefined) ?? null, timeoutMs: timeout ?? DEFAULT_RENDEZVOUS_OPTIONS.timeoutMs };
}

/** A shard re-runs nothing (see checkShardable): noise retries default to 0 instead of loadgen's 2. */
export function shardSweepOptions(options: SweepOptions): SweepOptions {
  // No budget unless given (then the sweep refuses it): the shards must run the same cells.
  return { ...options, ...(options.noiseRetries === undefined ? { noiseRetries: 0 } : {}), ...(options.budgetMs === undefined ? { budgetMs: 0 } : {}) };
}

/**
 * Where a shard writes: --out with `{shard}` replaced by its index, or by default
 * <results dir>/shards/<sweepId>/shard-<i>.json (no latest.json: a shard's file is not a sweep's).
 */
export function shardOutPath(out: string | null, session: ShardSession, cwd = process.cwd()): string {
  if (out !== null) return out.replaceAll('{shard}', String(session.identity.index));
  return join(defaultResultsDir(cwd), 'shards', session.sweepId, `shard-${session.identity.index}.json`);
}

/** Splits argv into positional words and the flags (with their values) of `table`. */
function splitPositionals(argv: readonly string[], table: readonly CliFlag[]): { positionals: string[]; flags: string[] } {
  const takesValue = new Set(table.filter((f) => f.type === 'string').flatMap((f) => [f.flag, ...(f.short ? [f.short] : [])]));
  const positionals: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (!a.startsWith('-') || a === '-') positionals.push(a);
    else {
      flags.push(a);
      if (takesValue.has(a) && i + 1 < argv.length) flags.push(argv[++i]!);
    }
  }
  return { positionals, flags };
}

const MERGE_FLAGS: readonly CliFlag[] = [
  { flag: '--out', short: '-o', type: 'string', arg: '<file>', help: 'the merged results file (required unless --json)' },
  { flag: '--json', type: 'boolean', help: 'write the merged JSON to stdout' },
  { flag: '--quiet', short: '-q', type: 'boolean', help: 'print nothing but errors' },
];

const MERGE_CLI: CliDefinition = {
  bin: 'socketlab-loadgen merge',
  summary: [
    'Merges the results files of every shard of one sharded sweep (socketlab-loadgen --shard) into one',
    'results file that the report reads like any other: latency histograms added bucket for bucket (exact),',
    'counts summed, per-client times concatenated in shard order, each run\'s total measured from the agreed',
    'release, each shard\'s own loadgen CPU and saturation kept. Usage: merge <shard.json>... --out <file>',
  ],
  flags: MERGE_FLAGS,
  packageJson: new URL('../../package.json', import.meta.url),
  epilogue: [
    'Refused (exit 1, SOCKETLAB_ERR_SHARD_MERGE): files of different sweeps, a missing, repeated or out-of-range shard,',
    'configurations that differ (the message names the field), shares of N that are not the integral split.',
    'Refused (exit 1, SOCKETLAB_ERR_RESULTS_INCONSISTENT): a run whose histogram is corrupt or swapped, or whose',
    'per-client arrays do not have one entry per client. (SOCKETLAB_ERR_RESULTS_INVALID: a file that is not results.)',
  ],
};

function readShardFile(path: string): SweepResults {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ResultsInvalidError(`${path}: not readable as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const check = validateResults(doc);
  if (!check.ok) throw new ResultsInvalidError(`${path}: ${check.errors.slice(0, 3).map((e) => `${e.path} ${e.message}`).join('; ')}`);
  return doc as SweepResults;
}

/** `socketlab-loadgen merge a.json b.json … --out merged.json`. */
export async function mergeMain(argv: readonly string[]): Promise<void> {
  let split: { positionals: string[]; flags: string[] };
  try {
    split = splitPositionals(argv, MERGE_FLAGS);
  } catch (err) {
    process.exitCode = reportError(MERGE_CLI, err);
    return;
  }
  await runCli(split.flags, MERGE_CLI, (p) => {
    if (split.positionals.length === 0) throw new InvalidOptionError('merge needs the shard files: merge <shard.json>... --out <file>');
    const out = typeof p.flags.out === 'string' ? p.flags.out : null;
    if (out === null && p.flags.json !== true) throw new InvalidOptionError('--out is required (or --json)');
    const merged = mergeShardResults(split.positionals.map(readShardFile), split.positionals);
    const check = validateResults(merged);
    if (!check.ok) throw new ResultsInvalidError(`the merged results do not match the schema: ${check.errors.slice(0, 3).map((e) => `${e.path} ${e.message}`).join('; ')}`);
    if (p.flags.json === true) process.stdout.write(JSON.stringify(merged, null, 2) + '\n');
    if (out !== null) {
      const [path] = writeResults(merged, { out });
      if (p.flags.quiet !== true && p.flags.json !== true) {
        const m = merged.merged!;
        process.stdout.write(`merged ${m.count} shards of sweep ${escapeForLog(m.sweepId, 40)} (${merged.cells.reduce((a, c) => a + c.runs.length, 0)} runs); largest start skew ${m.maxStartSkewMs ?? '–'} ms\nresults: ${resolve(path!)}\n`);
      }
    }
    return merged.complete ? 0 : 1;
  });
}

const int = integerValue;
const L = DEFAULT_LAUNCHER_OPTIONS;
const LAUNCHER_FLAGS: readonly CliFlag[] = [
  { flag: '--shards', type: 'string', arg: '<n>', parse: int, help: 'shards (Slurm tasks, or Job pods)', default: L.shards },
  { flag: '--nodes', type: 'string', arg: '<n>', parse: int, help: 'slurm: nodes to spread the shards over (0 = one per shard)', default: L.nodes },
  { flag: '--port', type: 'string', arg: '<port>', parse: int, help: 'the rendezvous port shard 0 listens on', default: L.port },
  { flag: '--rendezvous-host', type: 'string', arg: '<host>', help: 'shard 0\'s address as the others reach it (default: the first node of the allocation; pod 0\'s DNS name on Kubernetes)' },
  { flag: '--name', type: 'string', arg: '<name>', help: 'job name (and the Kubernetes Service\'s; the Slurm output folder is <name>-<job id>)', default: L.name },
  { flag: '--command', type: 'string', arg: '<cmd>', help: 'how a shard runs loadgen', default: `${L.command} (slurm); npx --yes @socketlab/loadgen@<this version> (k8s)` },
  { flag: '--image', type: 'string', arg: '<image>', help: 'k8s: the container image (Node.js >= 22.12)', default: L.image },
];

const LAUNCHER_CLI: CliDefinition = {
  bin: 'socketlab-loadgen launcher',
  summary: [
    'Prints a launcher for a sharded sweep on an engine you already run: `slurm`, a batch script (srun of one',
    'shard per task across the nodes, then the merge), or `k8s`, an Indexed Job and the headless Service',
    'shard 0 needs. The sweep\'s own flags follow `--`. Usage: launcher slurm|k8s [flags] -- <sweep flags>',
    'Example: launcher slurm --shards 4 --nodes 3 -- --target server:7000 --clients 100 --workloads wait',
  ],
  flags: LAUNCHER_FLAGS,
  packageJson: new URL('../../package.json', import.meta.url),
  epilogue: ['See docs/distributed.md for the real-cluster run.'],
};

/** The flags the launcher itself gives every shard: not for the user to pass after `--`. */
const OWNED = ['--shard', '--rendezvous', '--out', '-o', '--json'];

/** `socketlab-loadgen launcher slurm|k8s [flags] -- <sweep flags>`. */
export async function launcherMain(argv: readonly string[], checkSweepArgs: (args: string[]) => void): Promise<void> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : [...argv];
  const sweepArgs = dash >= 0 ? argv.slice(dash + 1) : [];
  const split = splitPositionals(own, LAUNCHER_FLAGS);
  await runCli(split.flags, LAUNCHER_CLI, (p) => {
    const [engine, ...extra] = split.positionals;
    if (engine === undefined) throw new InvalidOptionError(`launcher needs an engine: ${LAUNCHER_ENGINES.join(' or ')}`);
    choiceValue(LAUNCHER_ENGINES)(engine, 'launcher');
    if (extra.length) throw new InvalidOptionError(`unexpected argument ${JSON.stringify(extra[0])}; the sweep's flags go after --`);
    const owned = sweepArgs.find((a) => OWNED.includes(a.split('=')[0]!));
    if (owned) throw new InvalidOptionError(`${owned.split('=')[0]} is set by the launcher for every shard; leave it out of the sweep flags`);
    checkSweepArgs(sweepArgs);
    const f = p.flags;
    const shards = (f.shards as number | undefined) ?? L.shards;
    if (shards < 1 || shards > 1024) throw new InvalidOptionError(`--shards must be between 1 and 1024 (got ${shards})`);
    const port = (f.port as number | undefined) ?? L.port;
    if (port < 1 || port > 65535) throw new InvalidOptionError(`--port must be between 1 and 65535 (got ${port})`);
    const name = (f.name as string | undefined) ?? L.name;
    if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) throw new InvalidOptionError(`--name must be lower-case letters, digits and dashes (a Kubernetes name; got ${JSON.stringify(name)})`);
    const options = {
      shards, port, name, sweepArgs,
      nodes: f.nodes as number | undefined,
      rendezvousHost: f['rendezvous-host'] as string | undefined,
      command: f.command as string | undefined,
      image: f.image as string | undefined,
    };
    const text = (engine as LauncherEngine) === 'slurm' ? slurmScript(options) : k8sManifest(options);
    process.stdout.write(text);
  });
}

