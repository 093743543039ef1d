import { runParallelDesignSuite, runRecycledSuite, procCpuMs, type ParallelDesign } from '@socketlab/test-utils';
import { startServer, type MpServer } from '@socketlab/server-mp';

const design: ParallelDesign = {
  design: 'mp',
  unit: 'pid',
  killExecutor: (info) => process.kill(info.pid, 'SIGKILL'),
  start: (options) => startServer(options),
  // Each client's tasks run in a child process: sum their CPU time from /proc.
  cpuMs: (infos) => [...new Set(infos.map((i) => i.pid))].reduce((sum, pid) => sum + procCpuMs(pid), 0),
  workerIds: (server) => (server as MpServer).workerPids,
};

runParallelDesignSuite(design);
runRecycledSuite(design, [{ name: 'mp-per-connection', options: {}, mainIo: false }]);
