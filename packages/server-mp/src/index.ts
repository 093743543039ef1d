export { startServer, resolveOptions, MpServer, DEFAULT_OPTIONS, DEFAULT_ACCEPT, DEFAULT_CRASH_ANSWER, CRASH_ANSWERS, STRATEGIES } from './server.ts';
export { SIGKILL_TIMEOUT_MS } from './process-worker.ts';
export { PreforkServer, PREFORK_ACCEPT, MAX_RESTARTS, RESTART_WINDOW_MS } from './prefork.ts';
export type { MpServerOptions, ResolvedMpServerOptions, MpStrategy, CrashAnswer, PreforkAccept } from './options.ts';
export type { PreforkStats, PreforkChildStats } from './prefork.ts';
export type { ServerStats } from '@socketlab/protocol/server';
