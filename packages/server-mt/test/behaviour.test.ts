import { socketTransferSupported } from '@socketlab/protocol';
import { runParallelDesignSuite, runRecycledSuite, type ParallelDesign } from '@socketlab/test-utils';
import { startServer, type MtServer } from '@socketlab/server-mt';

const design: ParallelDesign = {
  design: 'mt',
  unit: 'thread',
  start: (options) => startServer(options),
  // Threads live in this process: its CPU time covers them (and little else while FIB runs).
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  workerIds: (server) => (server as MtServer).workerThreadIds,
};

runParallelDesignSuite(design);
// The thread owns its client's socket where Node can transfer one; with main-thread I/O it runs the client's tasks.
runRecycledSuite(design, [
  { name: 'mt-per-connection', options: {}, mainIo: !socketTransferSupported() },
  { name: 'mt-per-connection-main-io', options: { socketIo: 'main' }, mainIo: true },
]);
