import { InvalidOptionError } from '@socketlab/protocol';
import { fileURLToPath } from 'node:url';
import { DESIGNS, USER_DESIGN_NAME, findWorkspaceRoot, type ExternalServer } from '@socketlab/results';

/**
 * External servers: a user's server, named by a label and a command line, that loadgen starts, measures
 * and stops like its own designs (`--server 'lesson-mt=python3 serverMT.py --port {port}'`).
 *
 * The command is split into words here (quotes and backslashes as a POSIX shell reads them, nothing
 * else: no variables, globs or pipes) and run without a shell, so the pid loadgen measures and stops is
 * the server's own, not a shell's. `{port}` is replaced by a port loadgen picked, `{host}` by the
 * address clients connect to, `{lesson}` by examples/lesson-python of the socketlab checkout (the
 * lesson preset's servers; kept as a placeholder in the results, so that they name no machine's paths).
 * A command without `{port}` must give a fixed port in its label (`name:8080=command`).
 */
export type ExternalServerSpec = Readonly<ExternalServer>;

/** Splits a command line into words as a POSIX shell would (quotes, backslashes); the message names `option`. */
export function splitCommand(line: string, option: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new InvalidOptionError(`${option}: unterminated ${quote} quote in ${JSON.stringify(line)}`);
  if (inWord) words.push(word);
  return words;
}

/** Parses `name=command` or `name:port=command`; messages name `option`. */
export function parseServerSpec(raw: string, option = '--server'): ExternalServerSpec {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InvalidOptionError(`${option} must be NAME=COMMAND, e.g. 'lesson-mt=python3 serverMT.py --port {port}' (got ${JSON.stringify(raw)})`);
  const label = raw.slice(0, eq).trim();
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(label);
  const name = m?.[1] ?? label;
  if (!m || !USER_DESIGN_NAME.test(name)) {
    throw new InvalidOptionError(`${option}: the name ${JSON.stringify(name)} must be lower-case letters, digits, ".", "_" or "-" (at most 64), optionally followed by :PORT`);
  }
  if ((DESIGNS as readonly string[]).includes(name) || name === 'external') {
    throw new InvalidOptionError(`${option}: the name ${JSON.stringify(name)} is a built-in design's; choose another`);
  }
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) throw new InvalidOptionError(`${option}: the port of ${name} must be between 1 and 65535 (got ${port})`);
  const command = splitCommand(raw.slice(eq + 1), option);
  if (command.length === 0) throw new InvalidOptionError(`${option}: ${name} has an empty command`);
  const usesPort = command.some((w) => w.includes('{port}'));
  if (port === null && !usesPort) {
    throw new InvalidOptionError(`${option}: the command of ${name} has no {port} placeholder; put {port} where the server takes its port, or give a fixed one as ${name}:PORT=…`);
  }
  if (port !== null && usesPort) throw new InvalidOptionError(`${option}: ${name} gives both a fixed port and a {port} placeholder; use one`);
  return { name, command, port };
}

/** True if the command uses `{lesson}`. */
export function usesLesson(spec: ExternalServerSpec): boolean {
  return spec.command.some((w) => w.includes('{lesson}'));
}

/** `{lesson}`: examples/lesson-python of the socketlab checkout the user is in, else of the one this loadgen runs from. */
export function lessonDir(): string {
  const root = findWorkspaceRoot(process.cwd()) ?? findWorkspaceRoot(fileURLToPath(new URL('.', import.meta.url)));
  if (root === null) {
    throw new InvalidOptionError('{lesson} (the lesson preset\'s servers) is examples/lesson-python of a socketlab checkout, and none was found above the current directory; run from the repository, or name the servers\' files yourself with --server');
  }
  return `${root}/examples/lesson-python`;
}

/** The command with its placeholders filled in. */
export function fillCommand(spec: ExternalServerSpec, host: string, port: number): string[] {
  const lesson = usesLesson(spec) ? lessonDir() : '';
  return spec.command.map((w) => w.replaceAll('{port}', String(port)).replaceAll('{host}', host).replaceAll('{lesson}', lesson));
}
