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

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:,=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
