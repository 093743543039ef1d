export { startServer, resolveOptions, DEFAULT_OPTIONS, MODES } from './server.ts';
export type { SingleServerOptions, ResolvedSingleServerOptions, SingleMode } from './server.ts';
export type { TaskServer as Server, ServerStats } from '@socketlab/protocol/server';
