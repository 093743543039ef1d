import { fileURLToPath } from 'node:url';
import { runParentKillSuite } from '@socketlab/test-utils';

const bin = fileURLToPath(new URL('../bin.js', import.meta.url));

// Every way server-mp starts a child: one per client (cold, with spares started off the critical path,
// and recycled), a pool, and prefork with each way of accepting (node:cluster's rr and os, reuseport).
runParentKillSuite([
  { name: 'mp-per-connection', bin, args: ['--strategy', 'per-connection'] },
  { name: 'mp-per-connection --min-spares 2', bin, args: ['--strategy', 'per-connection', '--min-spares', '2'] },
  { name: 'mp-per-connection-recycled', bin, args: ['--strategy', 'per-connection', '--min-spares', '2', '--max-connections-per-worker', '0'] },
  { name: 'mp-pool', bin, args: ['--strategy', 'pool', '--pool-size', '2'] },
  { name: 'mp-prefork-rr', bin, args: ['--strategy', 'prefork', '--accept', 'rr', '--pool-size', '2'] },
  { name: 'mp-prefork-os', bin, args: ['--strategy', 'prefork', '--accept', 'os', '--pool-size', '2'] },
  { name: 'mp-prefork-reuseport', bin, args: ['--strategy', 'prefork', '--accept', 'reuseport', '--pool-size', '2'] },
]);
