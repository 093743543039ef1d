export { startServer, resolveOptions, MpServer, DEFAULT_OPTIONS, STRATEGIES } from './server.ts';
export { SIGKILL_TIMEOUT_MS } from './process-worker.ts';
export type { MpServerOptions, ResolvedMpServerOptions, MpStrategy } from './server.ts';
export type { ServerStats } from '@socketlab/protocol/server';
