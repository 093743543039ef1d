import { executorFlags, runServerCli, type FlagSpec } from '@socketlab/protocol/server';
import { PREFORK_ACCEPT } from './prefork.ts';
import { CRASH_ANSWERS, DEFAULT_ACCEPT, DEFAULT_CRASH_ANSWER, DEFAULT_MAX_WORKERS, STRATEGIES, startServer } from './server.ts';

/** The shared executor flags, with `prefork` among the strategies, and prefork's `--accept`. */
function flags(): FlagSpec[] {
  const shared = executorFlags('process', DEFAULT_MAX_WORKERS).map((f) =>
    f.key === 'strategy' ? { ...f, choices: STRATEGIES, help: 'a process per client, a fixed pool of processes the parent hands clients to, or pre-forked processes that accept for themselves (prefork)' }
    : f.key === 'poolSize' ? { ...f, help: 'processes in the pool (strategy pool or prefork)' }
    : f,
  );
  return [
    ...shared,
    { flag: '--accept', key: 'accept', type: 'string', choices: PREFORK_ACCEPT, default: DEFAULT_ACCEPT, help: 'strategy prefork: who accepts: rr (node:cluster round-robin: this process accepts and deals connections out in turn), os (node:cluster SCHED_NONE: the children accept from one shared socket), reuseport (each child its own socket, reusePort: the kernel balances)' },
    { flag: '--crash-answer', key: 'crashAnswer', type: 'string', choices: CRASH_ANSWERS, default: DEFAULT_CRASH_ANSWER, help: 'strategy prefork: copy (the parent holds an unread copy of each socket and answers WORKER_CRASHED if its child dies) or off (no copy: less memory and CPU per connection; a dead child\'s clients see the connection closed)' },
  ];
}

export const CLI = {
  bin: 'socketlab-server-mp',
  summary:
    'Multi-process socketlab task server. --strategy per-connection forks a process per client, which owns the client\'s socket; --strategy pool hands connections to a fixed pool of pre-started processes; --strategy prefork pre-forks processes that accept connections themselves (--accept).',
  flags: flags(),
  packageJson: new URL('../package.json', import.meta.url),
} as const;

export function main(argv: string[]): Promise<void> {
  return runServerCli(argv, CLI, startServer);
}
