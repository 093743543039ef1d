import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { detectRuntime, reusePortSupported, socketTransferSupported } from '../src/index.ts';

const root = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  optionalDependencies?: Record<string, string>;
};

test('the tests run on the pinned Node.js line (root package.json, installed by npm ci)', (t) => {
  // CI's matrix runs some suites on the other supported lines on purpose and says so in the environment.
  if (process.env.SOCKETLAB_NODE_MATRIX) return t.skip(`matrix run on ${process.version}`);
  const pinned = root.optionalDependencies?.[`node-${process.platform}-${process.arch}`];
  assert.ok(pinned, `no pinned Node.js for ${process.platform}-${process.arch} in the root package.json`);
  assert.equal(process.version, `v${pinned}`, 'node_modules/.bin/node should come first on PATH (npm scripts put it there)');
});

test('detectRuntime probes the features rather than reading the version', async () => {
  const features = await detectRuntime();
  assert.equal(features.node, process.version);
  assert.equal(features.reusePort, await reusePortSupported());
  assert.equal(features.socketTransfer, socketTransferSupported());
  const major = Number(process.versions.node.split('.')[0]);
  // What this workspace's supported lines have, probed on each of them (CONTRIBUTING.md): 24+ transfers
  // sockets, 22.12+ shares ports. A line where the probe disagrees is worth knowing about.
  assert.equal(features.socketTransfer, major >= 24);
  assert.equal(features.reusePort, true);
});
