import type { SweepResults } from '@socketlab/results';

/**
 * The lesson's table: for each workload, the median total time per design (columns) and N (rows), in
 * seconds. Markdown, so it reads in a terminal and pastes into a report.
 */
export function mediansTable(results: Pick<SweepResults, 'cells' | 'config'>): string {
  const out: string[] = [];
  for (const w of results.config.workloads) {
    const designs = results.config.designs;
    out.push(`${w.name} (${w.tasks.join(', ')}; median total time, s)`, '');
    out.push(`| N | ${designs.join(' | ')} |`, `| ---: | ${designs.map(() => '---:').join(' | ')} |`);
    for (const n of results.config.clients) {
      const row = designs.map((d) => {
        const cell = results.cells.find((c) => c.design === d && c.workload === w.name && c.clients === n);
        const m = cell?.summary.totalMs.median;
        return m === null || m === undefined ? '–' : (m / 1000).toFixed(3);
      });
      out.push(`| ${n} | ${row.join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
