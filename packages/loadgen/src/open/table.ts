import type { SweepResults } from '@socketlab/results';

const ms = (us: number | null | undefined): string => (us === null || us === undefined ? '–' : (us / 1000).toFixed(us >= 100_000 ? 0 : 2));

/**
 * The CLI's summary of an open-model sweep: for each workload and design, one row per rate cell (its
 * first complete run): target and achieved rates, response and service percentiles, late and dropped
 * arrivals, and the flags. Markdown, like the closed model's medians table.
 */
export function openTable(results: Pick<SweepResults, 'cells' | 'config'>): string {
  const out: string[] = [];
  for (const w of results.config.workloads) {
    out.push(`${w.name} (${w.tasks.join(', ')}; open model, latencies in ms)`, '');
    out.push('| design | target/s | achieved/s | resp p50 | resp p99 | service p99 | late | dropped | timeouts | flags |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const cell of results.cells.filter((c) => c.workload === w.name && c.model === 'open')) {
      const run = cell.runs.find((r) => r.complete && r.open);
      const o = run?.open;
      if (!run || !o) {
        out.push(`| ${cell.design} | ${cell.open?.rate ?? '–'} | – | – | – | – | – | – | – | no complete run |`);
        continue;
      }
      const flags = [o.saturated ? 'saturated' : '', o.generatorLimited ? 'generator-limited' : '', run.errors.total ? `errors=${run.errors.total}` : ''].filter(Boolean).join(' ');
      const percent = cell.open?.ratePercent == null ? '' : ` (${cell.open.ratePercent} %)`;
      out.push(`| ${cell.design} | ${o.targetRate}${percent} | ${o.throughputPerSec.toFixed(1)} | ${ms(run.tasks.latencyUs.p50)} | ${ms(run.tasks.latencyUs.p99)} | ${ms(o.serviceUs.p99)} | ${o.sentLate} | ${o.dropped} | ${o.timeouts + o.unsent} | ${flags} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
