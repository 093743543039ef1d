import { DEFAULT_LIMITS } from '../limits.ts';
import { choiceValue, integerValue, parseCommandLine, type CliFlag } from '../cli/flags.ts';
import { helpText as skeletonHelp } from '../cli/help.ts';
import { EXIT_CODES, isUsageError, reportError, runCli, type CliDefinition as SkeletonDefinition } from '../cli/run.ts';
import { DEFAULT_COMMON_SERVER_OPTIONS } from './options.ts';
import { declaredParentPid, watchParent } from './parent.ts';

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

/** The switches every server has besides its options: log format and volume. */
const LOG_FLAGS: readonly CliFlag[] = [
  { flag: '--log', type: 'string', arg: '<text|json>', option: 'log', parse: choiceValue(['text', 'json'] as const), help: "log format: the lesson's lines, or one JSON object per line (default: text)" },
  { flag: '--quiet', short: '-q', type: 'boolean', option: 'quiet', help: 'log only start, shutdown and worker crashes, not each connection and request' },
  { flag: '--silent', type: 'boolean', option: 'log', sets: 'silent', help: 'no log output at all' },
];

/** A server flag in the skeleton's terms: `key` is the API option its errors are reworded from. */
function toCliFlag(s: FlagSpec): CliFlag {
  return {
    flag: s.flag,
    type: 'string',
    arg: s.choices ? `<${s.choices.join('|')}>` : s.type === 'int' ? '<n>' : '<value>',
    help: s.help,
    default: s.default,
    option: s.key,
    parse: s.type === 'int' ? integerValue : s.choices ? choiceValue(s.choices) : undefined,
  };
}

/** The skeleton's definition of a server bin: the design's flags, the common ones, the log switches. */
function cliDefinition(def: CliDefinition): SkeletonDefinition {
  return {
    bin: def.bin,
    summary: [def.summary],
    flags: [...[...def.flags, ...COMMON_FLAGS].map(toCliFlag), ...LOG_FLAGS],
    packageJson: def.packageJson,
    initialOptions: { log: 'text' },
    epilogue: [
      'Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight tasks finish (up to --drain-timeout-ms), then it exits.',
      'Protocol and tasks: https://github.com/socketlab/socketlab/blob/main/docs/protocol.md',
    ],
  };
}

/** Parses argv into API options. Exported for tests; throws InvalidOptionError naming the flag. */
export function parseServerArgs(argv: readonly string[], def: Pick<CliDefinition, 'flags'>): ParsedArgs {
  const skeleton = cliDefinition({ bin: '', summary: '', packageJson: new URL('file:///'), ...def });
  const { help, version, options } = parseCommandLine(argv, skeleton.flags, skeleton);
  return { help, version, options };
}

export function helpText(def: CliDefinition): string {
  return skeletonHelp(cliDefinition(def), cliDefinition(def).flags);
}

interface Closable {
  close(): Promise<void>;
}

/**
 * Runs a server CLI: parse flags, start, log, and shut down gracefully on SIGINT/SIGTERM (a second
 * signal exits at once). Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on bad usage.
 */
export async function runServerCli(argv: readonly string[], def: CliDefinition, start: (options: Record<string, unknown>) => Promise<Closable>): Promise<void> {
  const skeleton = cliDefinition(def);
  await runCli(argv, skeleton, async ({ options }) => {
    // Signal handlers go in before the server starts: a signal that arrives right after the listening
    // line is printed must still mean "shut down gracefully", not the default "die now".
    let server: Closable | null = null;
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`${def.bin}: ${signal} again, exiting now\n`);
        process.exit(EXIT_CODES.failure);
      }
      stopping = true;
      if (server) shutdown(server);
    };
    const shutdown = (s: Closable) =>
      s.close().then(
        () => process.exit(EXIT_CODES.ok),
        (err) => {
          process.stderr.write(`${def.bin}: error while closing: ${(err as Error).message}\n`);
          process.exit(EXIT_CODES.failure);
        },
      );
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Started by a program that declared itself our parent (loadgen, a test): when it dies, even by
    // SIGKILL, we shut down as on SIGTERM. Not otherwise: a server started from a shell under nohup
    // may outlive its shell.
    if (declaredParentPid() !== null) watchParent(() => stop('parent gone'));
    try {
      server = await start(options);
    } catch (err) {
      // exit, not exitCode: the signal handlers above would keep a failed start alive otherwise.
      process.exit(reportError(skeleton, err, isUsageError(err) ? undefined : 'cannot start'));
    }
    if (stopping) shutdown(server);
  });
}
