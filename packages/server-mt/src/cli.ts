import { runServerCli } from '@socketlab/protocol/server';
import { DEFAULT_OPTIONS, STRATEGIES, startServer } from './server.ts';

export const CLI = {
  bin: 'socketlab-server-mt',
  summary:
    'Multi-threaded socketlab task server. --strategy per-connection runs each client\'s tasks on a thread of its own; --strategy pool runs every client\'s tasks on a fixed pool of threads. Socket I/O stays on the main thread (Node cannot move a socket into a worker thread).',
  flags: [
    { flag: '--strategy', key: 'strategy', type: 'string', choices: STRATEGIES, help: 'which thread runs a client\'s tasks', default: DEFAULT_OPTIONS.strategy },
    { flag: '--pool-size', key: 'poolSize', type: 'int', help: 'threads in the pool (strategy pool)', default: `${DEFAULT_OPTIONS.poolSize} (one per core)` },
  ],
  packageJson: new URL('../package.json', import.meta.url),
} as const;

export function main(argv: string[]): Promise<void> {
  return runServerCli(argv, CLI, startServer);
}
