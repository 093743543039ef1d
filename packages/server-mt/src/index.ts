export { startServer, resolveOptions, MtServer, DEFAULT_OPTIONS, STRATEGIES, SOCKET_IO } from './server.ts';
export { STOP_TIMEOUT_MS } from './thread-worker.ts';
export type { MtServerOptions, ResolvedMtServerOptions, MtStrategy, SocketIo } from './server.ts';
export type { ServerStats } from '@socketlab/protocol/server';
