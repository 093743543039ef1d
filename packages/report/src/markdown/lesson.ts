import type { DesignAnalysis } from '../analysis.ts';
import { seconds6 } from '../format.ts';

/** The lesson's `10  -> 30.107380s` lines: median total time per N. */
export function lessonMedians(d: DesignAnalysis, clients: readonly number[]): string {
  const width = Math.max(...clients.map((n) => String(n).length));
  return clients
    .map((n) => {
      const m = d.cells.find((c) => c.clients === n)?.medianTotalMs ?? null;
      return `${String(n).padEnd(width)} -> ${m === null ? '-' : `${seconds6(m)}s`}`;
    })
    .join('\n');
}

/** The lesson's `Run1 -> …` lines: every run's total time (s), one column per N. */
export function lessonRuns(d: DesignAnalysis, clients: readonly number[]): string {
  const runs = Math.max(0, ...d.cells.map((c) => c.runs.length));
  const lines: string[] = [];
  const labelWidth = `Run${runs}`.length;
  for (let i = 0; i < runs; i++) {
    const values = clients.map((n) => {
      const r = d.cells.find((c) => c.clients === n)?.runs[i];
      return r && r.totalMs !== null ? seconds6(r.totalMs) : '-';
    });
    lines.push(`${`Run${i + 1}`.padEnd(labelWidth)} -> ${values.join(' ')}`);
  }
  return lines.join('\n');
}
