import cliProgress from 'cli-progress';
import type { SweepProgressEvent } from './sweep/events.ts';

/** `1h02m`, `3m05s`, `42s`, `0.8s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

export interface ProgressReporter {
  onProgress(event: SweepProgressEvent): void;
  stop(): void;
}

/**
 * On a terminal: a cli-progress bar (design, workload, N, run, ETA) redrawn in place. Elsewhere (CI logs,
 * pipes): one plain line per finished run, since a redrawn bar would print thousands of lines. Writes to
 * `stream` (stderr), so stdout stays clean for --json.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let total = 0;
  let width = 0;
  const line = (s: string) => stream.write(s + '\n');

  return {
    onProgress(event) {
      switch (event.type) {
        case 'start':
          total = event.totalRuns;
          width = String(total).length;
          line(`socketlab-loadgen: ${total} runs (${event.config.designs.join(', ')}; ${event.config.workloads.map((w) => w.name).join(', ')}; N = ${event.config.clients.join(',')}; ${event.config.runs} runs each)`);
          line(`  ${event.scale}; estimated ${formatDuration(event.estimatedMs)}`);
          if (event.budget) line(`  ${event.budget}`);
          if (tty) {
            bar = new cliProgress.SingleBar(
              {
                stream,
                format: ' {bar} {value}/{total} | {design} {workload} N={clients} run {run} | last {last} | elapsed {elapsed} | ETA {eta_text}',
                hideCursor: true,
                clearOnComplete: false,
                barsize: 24,
                etaBuffer: 1,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(total, 0, { design: '-', workload: '-', clients: '-', run: '-', last: '-', elapsed: '0s', eta_text: formatDuration(event.estimatedMs) });
          }
          break;
        case 'run-start':
          bar?.update({ design: event.position.design, workload: event.position.workload, clients: event.position.rate === undefined ? event.position.clients : `${event.position.clients} @${event.position.rate}/s`, run: `${event.position.run}/${event.position.runs}` });
          break;
        case 'run-end': {
          const p = event.position;
          const last = event.totalMs === null ? 'interrupted' : `${(event.totalMs / 1000).toFixed(3)}s`;
          const flags = `${event.errors ? ` errors=${event.errors}` : ''}${event.saturated ? ' SATURATED' : ''}${event.noisy ? ' NOISY' : ''}`;
          if (bar) {
            if (p.total > bar.getTotal()) bar.setTotal(p.total); // the budget's extra runs
            bar.update(p.index, { last: last + flags, elapsed: formatDuration(event.elapsedMs), eta_text: formatDuration(event.remainingMs) });
          } else {
            line(`[${String(p.index).padStart(width)}/${p.total}] ${p.design} ${p.workload} N=${p.clients}${p.rate === undefined ? '' : ` rate=${p.rate}/s`} run ${p.run}/${p.runs}: ${last}${flags} (elapsed ${formatDuration(event.elapsedMs)}, ETA ${formatDuration(event.remainingMs)})`);
          }
          break;
        }
        case 'warning':
          if (bar) stream.write('\n');
          line(`warning: ${event.message}`);
          break;
        case 'end':
          bar?.stop();
          bar = null;
          line(`${event.complete ? 'done' : 'stopped'} in ${formatDuration(event.durationMs)}`);
          break;
      }
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
