import { readFileSync } from 'node:fs';
import { DEFAULT_LIMITS } from '../limits.ts';
import { InvalidOptionError, SocketlabError } from '../errors.ts';
import { DEFAULT_COMMON_SERVER_OPTIONS } from './options.ts';

/** One command-line flag. `key` is the option's name in the API (`limits.maxFibN` for limits). */
export interface FlagSpec {
  flag: string;
  key: string;
  type: 'int' | 'string';
  help: string;
  default?: string | number;
  choices?: readonly string[];
}

const LIMIT_HELP: Record<string, string> = {
  maxLineBytes: 'longest text request line, bytes',
  maxFrameBytes: 'largest binary frame payload, bytes',
  maxSleepMs: 'longest SLEEP, ms',
  maxWaitMs: 'longest WAIT, ms',
  maxFibN: 'largest FIB n',
  maxHashRounds: 'most HASH rounds',
  maxInFlight: 'requests in flight per connection before reading pauses',
  maxPendingBytes: 'bytes held per connection (requests in flight, replies not yet sent) before reading pauses',
};

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

export const COMMON_FLAGS: readonly FlagSpec[] = [
  { flag: '--host', key: 'host', type: 'string', help: 'address to listen on (0.0.0.0 for all interfaces)', default: DEFAULT_COMMON_SERVER_OPTIONS.host },
  { flag: '--port', key: 'port', type: 'int', help: 'port; 0 picks a free one (printed on start)', default: DEFAULT_COMMON_SERVER_OPTIONS.port },
  { flag: '--backlog', key: 'backlog', type: 'int', help: 'listen backlog, connections', default: DEFAULT_COMMON_SERVER_OPTIONS.backlog },
  { flag: '--max-connections', key: 'maxConnections', type: 'int', help: 'most open connections; more get one ERR and are closed', default: DEFAULT_COMMON_SERVER_OPTIONS.maxConnections },
  { flag: '--idle-timeout-ms', key: 'idleTimeoutMs', type: 'int', help: 'close a connection that completes no request for this long, ms; 0 = never', default: DEFAULT_COMMON_SERVER_OPTIONS.idleTimeoutMs },
  { flag: '--linger-ms', key: 'lingerMs', type: 'int', help: 'after the server ends a connection, time the peer gets to close before it is cut, ms', default: DEFAULT_COMMON_SERVER_OPTIONS.lingerMs },
  { flag: '--drain-timeout-ms', key: 'drainTimeoutMs', type: 'int', help: 'on shutdown, time in-flight tasks get to finish, ms', default: DEFAULT_COMMON_SERVER_OPTIONS.drainTimeoutMs },
  ...Object.entries(DEFAULT_LIMITS).map(([k, v]) => ({ flag: `--${kebab(k)}`, key: `limits.${k}`, type: 'int' as const, help: LIMIT_HELP[k] ?? k, default: v })),
];

export interface CliDefinition {
  /** The bin name, e.g. `socketlab-server-mt`. */
  bin: string;
  summary: string;
  /** The design's own flags (mode/strategy, pool size). */
  flags: readonly FlagSpec[];
  /** package.json URL, for --version. */
  packageJson: URL;
}

export interface ParsedArgs {
  help: boolean;
  version: boolean;
  options: Record<string, unknown>;
}

/** Parses argv into API options. Exported for tests; throws InvalidOptionError naming the flag. */
export function parseServerArgs(argv: readonly string[], def: Pick<CliDefinition, 'flags'>): ParsedArgs {
  const specs = [...def.flags, ...COMMON_FLAGS];
  const options: Record<string, unknown> = { log: 'text' };
  const limits: Record<string, unknown> = {};
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') { help = true; continue; }
    if (arg === '--version' || arg === '-v') { version = true; continue; }
    if (arg === '--quiet' || arg === '-q') { options.quiet = true; continue; }
    if (arg === '--silent') { options.log = 'silent'; continue; }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (flag === '--log') {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value !== 'text' && value !== 'json') throw new InvalidOptionError(`--log must be "text" or "json" (got ${JSON.stringify(value ?? '')})`);
      options.log = value;
      continue;
    }
    const spec = specs.find((s) => s.flag === flag);
    if (!spec) throw new InvalidOptionError(`unknown flag ${flag}`);
    const raw = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (raw === undefined || (eq === -1 && raw.startsWith('--'))) throw new InvalidOptionError(`${flag} needs a value`);
    let value: unknown = raw;
    if (spec.type === 'int') {
      if (!/^[0-9]+$/.test(raw)) throw new InvalidOptionError(`${flag} must be a non-negative integer (got ${JSON.stringify(raw)})`);
      value = Number(raw);
    } else if (spec.choices && !spec.choices.includes(raw)) {
      throw new InvalidOptionError(`${flag} must be one of ${spec.choices.join(', ')} (got ${JSON.stringify(raw)})`);
    }
    if (spec.key.startsWith('limits.')) limits[spec.key.slice(7)] = value;
    else options[spec.key] = value;
  }
  if (Object.keys(limits).length) options.limits = limits;
  return { help, version, options };
}

export function helpText(def: CliDefinition): string {
  const rows = [...def.flags, ...COMMON_FLAGS].map((s) => {
    const left = `  ${s.flag} ${s.choices ? `<${s.choices.join('|')}>` : s.type === 'int' ? '<n>' : '<value>'}`;
    const dflt = s.default !== undefined ? ` (default: ${s.default})` : '';
    return `${left.padEnd(36)} ${s.help}${dflt}`;
  });
  return [
    `Usage: ${def.bin} [options]`,
    '',
    def.summary,
    '',
    'Options:',
    ...rows,
    `${'  --log <text|json>'.padEnd(36)} log format: the lesson's lines, or one JSON object per line (default: text)`,
    `${'  -q, --quiet'.padEnd(36)} log only start, shutdown and worker crashes, not each connection and request`,
    `${'  --silent'.padEnd(36)} no log output at all`,
    `${'  -v, --version'.padEnd(36)} print the version`,
    `${'  -h, --help'.padEnd(36)} print this help`,
    '',
    'Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight tasks finish (up to --drain-timeout-ms), then it exits.',
    'Protocol and tasks: https://github.com/socketlab/socketlab/blob/main/docs/protocol.md',
  ].join('\n');
}

interface Closable {
  close(): Promise<void>;
}

/**
 * Runs a server CLI: parse flags, start, log, and shut down gracefully on SIGINT/SIGTERM (a second
 * signal exits at once). Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on bad usage.
 */
export async function runServerCli(argv: readonly string[], def: CliDefinition, start: (options: Record<string, unknown>) => Promise<Closable>): Promise<void> {
  let parsed: ParsedArgs;
  try {
    parsed = parseServerArgs(argv, def);
  } catch (err) {
    process.stderr.write(`${def.bin}: ${(err as Error).message}\nRun '${def.bin} --help' for usage.\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(helpText(def) + '\n');
    return;
  }
  if (parsed.version) {
    process.stdout.write(JSON.parse(readFileSync(def.packageJson, 'utf8')).version + '\n');
    return;
  }
  // Signal handlers go in before the server starts: a signal that arrives right after the listening
  // line is printed must still mean "shut down gracefully", not the default "die now".
  let server: Closable | null = null;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${def.bin}: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    if (server) shutdown(server);
  };
  const shutdown = (s: Closable) =>
    s.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`${def.bin}: error while closing: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    server = await start(parsed.options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const usage = err instanceof SocketlabError && err.code === 'SOCKETLAB_ERR_INVALID_OPTION';
    process.stderr.write(`${def.bin}: ${usage ? '' : 'cannot start: '}${e.code === 'EADDRINUSE' ? `address in use (${e.message})` : e.message}\n`);
    process.exit(usage ? 2 : 1);
  }
  if (stopping) shutdown(server);
}
