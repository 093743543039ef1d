// Prints the SHA-256 of a file, or `absent`: an Nx runtime input, so that a task that reads a
// git-ignored file (report:build reads results/latest.json) is re-run when that file changes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: node tools/scripts/file-hash.mjs <file>');
process.stdout.write(existsSync(file) ? `${createHash('sha256').update(readFileSync(file)).digest('hex')}\n` : 'absent\n');
