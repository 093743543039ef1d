import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DESIGNS, DESIGN_CATALOGUE, RESULTS_JSON_SCHEMA, designArgs, designOf, isPerConnection, isPool } from '../src/index.ts';

describe('design catalogue', () => {
  it('has one entry per design, named as the schema names them', () => {
    assert.deepEqual(Object.keys(DESIGN_CATALOGUE), [...DESIGNS]);
    for (const [name, d] of Object.entries(DESIGN_CATALOGUE)) assert.equal(d.name, name);
    // The schema takes any well-spelled name (a user's --server has one); it must accept every built-in.
    const config = (RESULTS_JSON_SCHEMA.properties as Record<string, { properties: { designs: { items: { pattern: string } } } }>).config!;
    const pattern = new RegExp(config.properties.designs.items.pattern);
    for (const name of [...DESIGNS, 'external']) assert.match(name, pattern);
  });

  it('selects each design with flags its bin declares', () => {
    for (const d of Object.values(DESIGN_CATALOGUE)) {
      const dir = d.package.replace('@socketlab/', '');
      const cli = readFileSync(new URL(`../../${dir}/src/cli.ts`, import.meta.url), 'utf8');
      const flagSource = dir === 'server-single' ? cli : readFileSync(new URL('../../protocol/src/server/pool-options.ts', import.meta.url), 'utf8');
      assert.ok(flagSource.includes(`'${d.flags[0]}'`), `${d.name}: ${d.flags[0]} is a flag of ${d.package}`);
      const pkg = JSON.parse(readFileSync(new URL(`../../${dir}/package.json`, import.meta.url), 'utf8')) as { name: string };
      assert.equal(pkg.name, d.package);
    }
  });

  it('knows pools, per-connection executors and external servers', () => {
    assert.deepEqual(DESIGNS.filter(isPool), ['mp-pool', 'mt-pool', 'mp-prefork-rr', 'mp-prefork-os', 'mp-prefork-reuseport']);
    assert.deepEqual(DESIGNS.filter(isPerConnection), ['mp-per-connection', 'mt-per-connection', 'mp-per-connection-recycled', 'mt-per-connection-recycled']);
    assert.equal(designOf('external'), null);
    assert.equal(isPool('external'), false);
    assert.equal(designOf('toString'), null, 'no prototype keys');
  });

  it('passes --pool-size to pools only', () => {
    assert.deepEqual(designArgs('mt-pool', 3), ['--strategy', 'pool', '--pool-size', '3']);
    assert.deepEqual(designArgs('mp-per-connection', 3), ['--strategy', 'per-connection']);
    assert.deepEqual(designArgs('single-event-loop', 3), ['--mode', 'event-loop']);
  });

  it('says who accepts: the main thread, except prefork\'s children (os: one shared socket; reuseport: one each)', () => {
    assert.deepEqual(DESIGNS.filter((d) => DESIGN_CATALOGUE[d].accept !== 'main'), ['mp-prefork-os', 'mp-prefork-reuseport']);
    assert.equal(DESIGN_CATALOGUE['mp-prefork-os'].accept, 'children-shared');
    assert.equal(DESIGN_CATALOGUE['mp-prefork-reuseport'].accept, 'children-reuseport');
    assert.deepEqual(designArgs('mp-prefork-os', 3), ['--strategy', 'prefork', '--accept', 'os', '--pool-size', '3']);
    // Appended: the older designs keep their places (and so their colours in the report).
    assert.deepEqual(DESIGNS.slice(0, 8), ['single-iterative', 'single-event-loop', 'mp-per-connection', 'mp-pool', 'mt-per-connection', 'mt-pool', 'mp-per-connection-recycled', 'mt-per-connection-recycled']);
  });

  it('starts a recycled design with one idle spare per client of the cell, and no limit on connections per worker', () => {
    assert.deepEqual(designArgs('mt-per-connection-recycled', 3, 100), ['--strategy', 'per-connection', '--max-connections-per-worker', '0', '--min-spares', '100', '--max-spares', '100']);
    assert.deepEqual(designArgs('mp-per-connection', 3, 100), ['--strategy', 'per-connection']);
    assert.deepEqual(DESIGNS.filter((d) => DESIGN_CATALOGUE[d].recycled), ['mp-per-connection-recycled', 'mt-per-connection-recycled']);
  });
});
