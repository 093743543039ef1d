import { runServerCli } from '@socketlab/protocol/server';
import { DEFAULT_OPTIONS, STRATEGIES, startServer } from './server.ts';

export const CLI = {
  bin: 'socketlab-server-mp',
  summary:
    'Multi-process socketlab task server. --strategy per-connection forks a process per client, which owns the client\'s socket; --strategy pool hands connections to a fixed pool of pre-started processes.',
  flags: [
    { flag: '--strategy', key: 'strategy', type: 'string', choices: STRATEGIES, help: 'which process serves a client', default: DEFAULT_OPTIONS.strategy },
    { flag: '--pool-size', key: 'poolSize', type: 'int', help: 'processes in the pool (strategy pool)', default: `${DEFAULT_OPTIONS.poolSize} (one per core)` },
  ],
  packageJson: new URL('../package.json', import.meta.url),
} as const;

export function main(argv: string[]): Promise<void> {
  return runServerCli(argv, CLI, startServer);
}
