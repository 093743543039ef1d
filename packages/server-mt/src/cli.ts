import { executorFlags, runServerCli } from '@socketlab/protocol/server';
import { DEFAULT_MAX_WORKERS, startServer } from './server.ts';

export const CLI = {
  bin: 'socketlab-server-mt',
  summary:
    'Multi-threaded socketlab task server. --strategy per-connection runs each client\'s tasks on a thread of its own; --strategy pool runs every client\'s tasks on a fixed pool of threads. Socket I/O stays on the main thread.',
  flags: executorFlags('thread', DEFAULT_MAX_WORKERS),
  packageJson: new URL('../package.json', import.meta.url),
} as const;

export function main(argv: string[]): Promise<void> {
  return runServerCli(argv, CLI, startServer);
}
