// What the registry test shares between its parts: where it is, its settings, and its run state.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO = path.resolve(HERE, '../..');
export const VERDACCIO_VERSION = JSON.parse(fs.readFileSync(path.join(HERE, 'package.json'), 'utf8')).dependencies.verdaccio;
export const GLOBAL_TIMEOUT_MS = Number(process.env.REGISTRY_TEST_TIMEOUT_MS ?? 600_000); // 10 min
export const KEEP_TMP = process.env.REGISTRY_TEST_KEEP === '1';
// The TypeScript consumer pins these; they match the repo's toolchain.
export const TS_VERSION = '5.9.3';
export const TYPES_NODE_VERSION = '20.19.43';
export const DUMMY_TOKEN = 'registry-test-dummy-token'; // Verdaccio here lets anyone publish @socketlab/*; npm only needs *a* token.

/** Every check's outcome, every process started (for cleanup), and whether the run is stopping. */
export const state = { t0: performance.now(), results: [], children: new Set(), stopping: false, tmp: null };
