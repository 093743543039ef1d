// Check results and their printing: `pass:`/`FAIL:`/`skipped:` lines, then `N passed, N failed`.
import { state } from './state.mjs';

export const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
export const indent = (text, max = 40) => {
  const lines = String(text).trimEnd().split('\n');
  const shown = lines.length > max ? [...lines.slice(0, 10), `... (${lines.length - max} lines cut) ...`, ...lines.slice(-(max - 10))] : lines;
  return shown.map((l) => `    ${l}`).join('\n');
};

export function pass(name, detail) {
  state.results.push({ name, status: 'pass' });
  console.log(`pass: ${name}${detail ? ` (${detail})` : ''}`);
}
export function fail(name, detail) {
  state.results.push({ name, status: 'fail' });
  console.log(`FAIL: ${name}${detail ? `\n${indent(detail)}` : ''}`);
}
export function skip(name, why) {
  state.results.push({ name, status: 'skip' });
  console.log(`skipped: ${name} (${why})`);
}
/** Runs one check; a thrown error fails it. Returns the check's value, or undefined when it failed. */
export async function check(name, fn) {
  const start = performance.now();
  try {
    const value = await fn();
    const took = secs(performance.now() - start);
    const note = typeof value === 'string' ? value : undefined;
    pass(name, note && note.endsWith(' s') ? note : [note, took].filter(Boolean).join('; '));
    return value ?? true;
  } catch (err) {
    if (!state.stopping) fail(name, err instanceof Error ? err.message : String(err)); // else: the reason is already counted
    return undefined;
  }
}
export function section(title) {
  console.log(`\n## ${title}`);
}
