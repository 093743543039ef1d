#!/usr/bin/env node
// Shim: the CLI lives in the built module; this file only loads it.
import('./dist/cli.js').then(
  (cli) => cli.main(process.argv.slice(2)),
  (err) => {
    process.stderr.write(`could not load the CLI (is the package built?): ${err.message}\n`);
    process.exit(1);
  },
);
