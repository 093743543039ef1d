import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

// The worker thread's entry is a build entry of its own, resolved at run time next to the bundle.
export default defineConfig({ ...baseConfig, entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'entry/worker': 'src/entry/worker.ts' } });
