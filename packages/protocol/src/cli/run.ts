import { readFileSync } from 'node:fs';
import { InvalidOptionError, SocketlabError } from '../errors.ts';
import { nameFlags, parseCommandLine, type CliFlag, type ParseSettings, type ParsedCommandLine } from './flags.ts';
import { helpText, type HelpText } from './help.ts';

/**
 * One exit-code policy for every socketlab bin: 0 done, 1 the work failed, 2 bad usage (a flag, a
 * value, an option the API refused). loadgen adds 128 + the signal number when a signal stopped it.
 */
export const EXIT_CODES = Object.freeze({ ok: 0, failure: 1, usage: 2 });

/** A bin: its help text, its flag table and where its version comes from. */
export interface CliDefinition extends HelpText, ParseSettings {
  readonly flags: readonly CliFlag[];
  /** The package.json whose `version` --version prints. */
  readonly packageJson: URL;
}

/** The `version` of a package.json, or 0.0.0 if it cannot be read. */
export function packageVersion(packageJson: URL): string {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** True for errors that mean "the command line was wrong", which exit 2. */
export function isUsageError(err: unknown): boolean {
  return err instanceof SocketlabError && err.code === InvalidOptionError.code;
}

/**
 * Writes an error the one way every bin does, and returns its exit code. A usage error names the flag
 * (not the API option) and points at --help; any other error exits 1. `context` prefixes a failure
 * (`cannot start`).
 */
export function reportError(def: Pick<CliDefinition, 'bin' | 'flags'>, err: unknown, context?: string): number {
  const message = err instanceof Error ? err.message : String(err);
  if (isUsageError(err)) {
    process.stderr.write(`${def.bin}: ${nameFlags(message, def.flags)}\nRun '${def.bin} --help' for usage.\n`);
    return EXIT_CODES.usage;
  }
  const prefix = context ? `${context}: ` : '';
  // A coded error (socketlab's, or a system error such as EADDRINUSE) says what went wrong; one without
  // a code is a bug, and its stack is what a report of it needs.
  const code = (err as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' ? `${message} [${code}]` : `failed: ${err instanceof Error ? (err.stack ?? message) : message}`;
  process.stderr.write(`${def.bin}: ${prefix}${text}\n`);
  return EXIT_CODES.failure;
}

/**
 * The skeleton of every bin: parse the flags, answer --help and --version, run the command, and turn
 * what it throws into a message and an exit code (see EXIT_CODES). `command` may return an exit code;
 * returning nothing means 0. It sets process.exitCode rather than exiting, so output is flushed.
 */
export async function runCli(argv: readonly string[], def: CliDefinition, command: (parsed: ParsedCommandLine) => Promise<number | void> | number | void): Promise<void> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv, def.flags, def);
  } catch (err) {
    process.exitCode = reportError(def, err);
    return;
  }
  if (parsed.help) {
    process.stdout.write(helpText(def, def.flags) + '\n');
    return;
  }
  if (parsed.version) {
    process.stdout.write(packageVersion(def.packageJson) + '\n');
    return;
  }
  try {
    const code = await command(parsed);
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    process.exitCode = reportError(def, err);
  }
}
