/** Longest line of a command in the reproduce section before it continues with `\`. */
const COMMAND_WIDTH = 88;

/** A shell command as lines of at most COMMAND_WIDTH characters, keeping each flag with its value. */
export function commandLines(command: string, args: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = shellQuote(args[i]!);
    const next = args[i + 1];
    if (a.startsWith('--') && next !== undefined && !next.startsWith('--')) {
      words.push(`${a} ${shellQuote(next)}`);
      i++;
    } else {
      words.push(a);
    }
  }
  const lines: string[] = [];
  let line = command;
  for (const w of words) {
    if (line.length + 1 + w.length > COMMAND_WIDTH - 2) {
      lines.push(`${line} \\`);
      line = `  ${w}`;
    } else {
      line += ` ${w}`;
    }
  }
  lines.push(line);
  return lines;
}

/**
 * A word as a POSIX shell reads it back: bare when safe, else single-quoted; a word with a control
 * character (a newline, an escape) is written in bash's `$'…'` form instead, so that a command is always
 * one line and never holds a raw control character (a newline could close the code block it sits in).
 */
function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:,=@%+-]+$/.test(arg)) return arg;
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (!/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(arg)) return `'${arg.replace(/'/g, `'\\''`)}'`;
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\', "'": "\\'" };
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return `$'${arg.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\']/g, (c) => named[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}'`;
}
