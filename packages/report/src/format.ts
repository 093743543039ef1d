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

/**
 * Longest text from an input file the report prints in one place, in characters: a results file is
 * untrusted, and a megabyte of error message would bury the report. The rest is cut and counted.
 */
export const MAX_INPUT_TEXT = 500;

// C0 and C1 controls, DEL, and the bidirectional controls that reorder what a reader sees.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from an input, on one line and printable: line breaks become spaces, every other control
 * character is shown as `\xHH` or `\uHHHH`, and past `max` characters the text is cut with the count of
 * what was left out.
 */
export function printable(text: string, max = MAX_INPUT_TEXT): string {
  let end = Math.min(text.length, max);
  if (end < text.length && /[\ud800-\udbff]/.test(text[end - 1]!)) end--; // never split a surrogate pair
  const cut = end < text.length ? `${text.slice(0, end)}… (${text.length - end} more characters)` : text;
  return cut.replace(/\r\n|[\r\n]/g, ' ').replace(UNPRINTABLE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Escapes text for a Markdown paragraph or table cell: printable() first, then every character that
 * could start emphasis, code, HTML, a link or a table cell is backslash-escaped, and what GitHub would
 * turn into a link by itself (`scheme://`, `www.`, an e-mail address) is broken up by escapes, so that text from
 * an input can never become markup or a reference to anything outside the report.
 */
export function md(text: string): string {
  return printable(text)
    .replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`)
    .replace(/\/\//g, '\\/\\/')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/([\w.+-])@/g, '$1\\@');
}

/**
 * Inline code for text from anywhere: printable() (so no line break can end the span or start a
 * block), fenced with one backtick more than the longest run of backticks inside, padded when the text
 * starts or ends with a backtick.
 */
export function code(text: string): string {
  const t = printable(text);
  const longest = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}
