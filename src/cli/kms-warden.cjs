#!/usr/bin/env node
// The CLI entry point: runs the TypeScript sources through tsx, so the CLI needs no build step.
require('tsx/cjs');
require("./main.ts")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
