import { executorFlags, runServerCli } from '@socketlab/protocol/server';
import { DEFAULT_MAX_WORKERS, DEFAULT_OPTIONS, SOCKET_IO, startServer } from './server.ts';

export const CLI = {
  bin: 'socketlab-server-mt',
  summary:
    'Multi-threaded socketlab task server. --strategy per-connection gives each client a thread of its own, which owns the client\'s socket where this Node can transfer one (else the main thread does the socket I/O); --strategy pool runs every client\'s tasks on a fixed pool of threads, socket I/O on the main thread.',
  flags: [
    ...executorFlags('thread', DEFAULT_MAX_WORKERS),
    { flag: '--socket-io', key: 'socketIo', type: 'string', choices: SOCKET_IO, help: "strategy per-connection: auto = the client's thread owns its socket where Node can transfer it; main = the main thread does all socket I/O", default: DEFAULT_OPTIONS.socketIo },
  ],
  packageJson: new URL('../package.json', import.meta.url),
} as const;

export function main(argv: string[]): Promise<void> {
  return runServerCli(argv, CLI, startServer);
}
