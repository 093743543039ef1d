// The throwaway registry: Verdaccio on a free loopback port, storage in a temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseEnv, freePort, killTree, run, spawnTracked, waitExit } from './processes.mjs';
import { HERE } from './state.mjs';

export async function startVerdaccio(dir, uplink) {
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  const proxyLines = [];
  for (const key of ['http_proxy', 'https_proxy', 'no_proxy']) {
    const v = process.env[key] ?? process.env[key.toUpperCase()];
    if (v) proxyLines.push(`${key}: ${JSON.stringify(v)}`);
  }
  const env = baseEnv();
  // npm trusts its `cafile`; give Verdaccio (plain Node) the same CAs for the uplink.
  const cafile = (await run('npm', ['config', 'get', 'cafile'], { cwd: os.tmpdir() })).stdout.trim();
  if (!env.NODE_EXTRA_CA_CERTS && cafile && cafile !== 'null' && cafile !== 'undefined' && fs.existsSync(cafile)) env.NODE_EXTRA_CA_CERTS = cafile;

  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort(); // a free port, not 4873: parallel runs and a developer's own Verdaccio must not clash
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      [
        `storage: ${JSON.stringify(storage)}`,
        'auth:',
        '  htpasswd:',
        `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
        '    max_users: -1',
        'uplinks:',
        '  npmjs:',
        `    url: ${JSON.stringify(uplink)}`,
        '    timeout: 60s',
        '    max_fails: 5',
        'packages:',
        "  '@socketlab/*':",
        '    access: $all',
        '    publish: $all',
        '    unpublish: $all',
        "  '**':",
        '    access: $all',
        '    publish: $authenticated',
        '    proxy: npmjs',
        `listen: 127.0.0.1:${port}`,
        'web:',
        '  enable: false',
        'max_body_size: 100mb',
        'log: { type: stdout, format: pretty, level: warn }',
        ...proxyLines,
        '',
      ].join('\n'),
    );
    const bin = path.join(HERE, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
    const child = spawnTracked(process.execPath, [bin, '--config', config], { cwd: dir, env });
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (log += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
    const url = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return { child, url, port, log: () => log };
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    lastError = `attempt ${attempt} on port ${port}: ${child.exitCode === null ? 'no answer to /-/ping in 30 s' : `exited with ${child.exitCode}`}\n${log}`;
    killTree(child, 'SIGKILL');
    await waitExit(child, 5000);
  }
  throw new Error(lastError);
}

/** `npx <bin> --port 0`, a node:net conversation, then SIGTERM and a check that the whole tree exited. */
