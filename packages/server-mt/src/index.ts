export { startServer, resolveOptions, MtServer, DEFAULT_OPTIONS, STRATEGIES } from './server.ts';
export type { MtServerOptions, ResolvedMtServerOptions, MtStrategy } from './server.ts';
export type { ServerStats } from '@socketlab/protocol/server';
