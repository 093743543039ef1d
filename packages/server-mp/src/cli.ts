import { executorFlags, runServerCli } from '@socketlab/protocol/server';
import { DEFAULT_MAX_WORKERS, startServer } from './server.ts';

export const CLI = {
  bin: 'socketlab-server-mp',
  summary:
    'Multi-process socketlab task server. --strategy per-connection forks a process per client, which owns the client\'s socket; --strategy pool hands connections to a fixed pool of pre-started processes.',
  flags: executorFlags('process', DEFAULT_MAX_WORKERS),
  packageJson: new URL('../package.json', import.meta.url),
} as const;

export function main(argv: string[]): Promise<void> {
  return runServerCli(argv, CLI, startServer);
}
