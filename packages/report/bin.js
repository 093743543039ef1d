#!/usr/bin/env node
// Shim: the CLI lives in the built module; this file only loads it.
import('./dist/cli.js').then((m) => m.main(process.argv.slice(2)));
