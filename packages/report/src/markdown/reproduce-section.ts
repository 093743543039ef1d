import { sweepFlags } from '@socketlab/results';
import type { Analysis } from '../analysis.ts';
import { code, duration, list } from '../format.ts';
import { busyText } from './busy.ts';
import { commandLines } from './command-line.ts';

/** The commands that rebuild the sweep (from its recorded config) and this report. */
export function reproduceSection(a: Analysis): string[] {
  const out: string[] = ['## How to reproduce', ''];
  const inputs = a.dataset.inputs;
  const first = inputs[0]!.results.environment;
  out.push(
    `On a machine like this one (${first.cores} cores; ${busyText(first.loadAverage[0] ?? 0, first.cores)}), from a clone of the socketlab repository:`,
    '',
    '```sh',
    'npm ci',
  );
  if (inputs.length === 1) {
    const flags = sweepFlags(inputs[0]!.results.config);
    out.push(
      `# the sweep: ${duration(inputs[0]!.results.durationMs)} here; writes results/latest.json`,
      ...commandLines('npx nx run loadgen:sweep --', flags),
      '# the report on it, in results/report/ (git-ignored, like results/)',
      'npx nx run report:build',
      '```',
      '',
      'Without Nx (after `npx nx run-many -t build`), into a folder of your choice:',
      '',
      '```sh',
      ...commandLines('node packages/loadgen/bin.js', [...flags, '--out', 'my-sweep.json']),
      'node packages/report/bin.js --in my-sweep.json --out my-report',
      '```',
    );
  } else {
    out.push('npx nx run-many -t build');
    inputs.forEach((input) => out.push(...commandLines('node packages/loadgen/bin.js', [...sweepFlags(input.results.config), '--out', input.name])));
    out.push(`node packages/report/bin.js ${inputs.map((i) => `--in ${i.name}`).join(' ')} --out my-report`, '```');
  }
  out.push(
    '',
    `To rebuild this report from its own input (the folder holds it as ${list(inputs.map((i) => code(i.name)))}): \`npx nx run report:shipped\` for the shipped reports in reports/, or \`node packages/report/bin.js --out <this folder>\`. The same input gives byte-identical files.`,
    '',
  );
  return out;
}
