// Interim main job (until loadgen and report land): start a server built from the shared machinery
// on a free port, run one of each task as a client, print the replies, and stop.
import net from 'node:net';
import { connect, executeTask, resolveLimits } from '@socketlab/protocol';
import { ProtocolConnection } from '@socketlab/protocol/server';

const limits = resolveLimits();
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  new ProtocolConnection(socket, { limits, run: (task) => executeTask(task, { design: 'demo', strategy: 'inline' }) });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
console.log(`Server is running on 127.0.0.1:${port}...`);
const client = await connect({ port });
for (const req of ['PING', 'ECHO hello', 'UPPER hello', 'REVERSE añb😀', 'SLEEP 100', 'WAIT 100', 'FIB 25', 'HASH 1000 abc', 'INFO', 'FIB 99']) {
  const reply = await client.request(req).then((v) => `OK ${v}`, (e) => `ERR ${e.code} ${e.message}`);
  console.log(`${req.padEnd(16)} -> ${reply}`);
}
console.log(`EXIT             -> OK ${await client.exit()}`);
server.close();
