import { runParallelDesignSuite } from '@socketlab/test-utils';
import { startServer, type MtServer } from '@socketlab/server-mt';

runParallelDesignSuite({
  design: 'mt',
  unit: 'thread',
  start: (options) => startServer(options),
  // Threads live in this process: its CPU time covers them (and little else while FIB runs).
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  workerIds: (server) => (server as MtServer).workerThreadIds,
});
