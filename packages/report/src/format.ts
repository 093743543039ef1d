/**
 * Number formatting for the report. Every number the report prints goes through these, so the output
 * depends only on the data (fixed decimals, no locale).
 */

function noNegativeZero(s: string): string {
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Seconds with 6 decimals, from ms (the lesson's `30.107380s`). */
export function seconds6(ms: number): string {
  return noNegativeZero((ms / 1000).toFixed(6));
}

/** Seconds with 3 decimals, from ms. */
export function seconds3(ms: number): string {
  return noNegativeZero((ms / 1000).toFixed(3));
}

/** About 3 significant digits, for ms values in prose: 1234 → "1234", 12.34 → "12.3", 1.234 → "1.23". */
export function num(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
  return noNegativeZero(s);
}

/** A time in ms, in the unit that reads best: "850 ms", "1.23 s", "4 min 39 s". */
export function duration(ms: number): string {
  if (Math.abs(ms) >= 60_000) {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)} min ${s % 60} s`;
  }
  return Math.abs(ms) >= 1000 ? `${num(ms / 1000)} s` : `${num(ms)} ms`;
}

/** A ratio: "1.4×", "12×". */
export function times(x: number): string {
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;
}

/** A ratio with fixed decimals: "0.98×", "1.523×" (for ratios near 1, where times() would say "1.0×"). */
export function ratio(x: number, digits = 2): string {
  return `${noNegativeZero(x.toFixed(digits))}×`;
}

/** R², 3 decimals. */
export function r2(x: number | null): string {
  return x === null ? '–' : noNegativeZero(x.toFixed(3));
}

/** Bytes as MiB (1 decimal). */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Bytes as GiB (1 decimal). */
export function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** A percentage, no decimals. */
export function percent(fraction: number): string {
  return `${noNegativeZero((fraction * 100).toFixed(0))} %`;
}

/** "a", "a and b", "a, b and c". */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Escapes text for a Markdown paragraph or table cell (pipes, emphasis, HTML, links). */
export function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
