import { runServerCli } from '@socketlab/protocol/server';
import { DEFAULT_OPTIONS, MODES, startServer } from './server.ts';

export const CLI = {
  bin: 'socketlab-server-single',
  summary: 'Single-process socketlab task server. --mode iterative serves one client at a time (the others wait, connected and unanswered); --mode event-loop serves every client at once on one thread.',
  flags: [{ flag: '--mode', key: 'mode', type: 'string', choices: MODES, help: 'how clients share the one process', default: DEFAULT_OPTIONS.mode }],
  packageJson: new URL('../package.json', import.meta.url),
} as const;

export function main(argv: string[]): Promise<void> {
  return runServerCli(argv, CLI, startServer);
}
