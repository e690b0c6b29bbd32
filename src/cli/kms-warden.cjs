#!/usr/bin/env node
// The CLI entry point (package.json bin, npm start). It runs the CLI built ahead of time by src/cli/build.cjs, and
// builds it first when it is missing or older than the sources (about 0.1 s): no TypeScript compiles at run time.
const { join } = require('node:path');
const { outdir, isStale, build } = require('./build.cjs');

const run = () =>
  require(join(outdir, 'main.js'))
    .main(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code;
    });

if (isStale())
  build().then(run, (error) => {
    process.stderr.write(`kms-warden: could not build the CLI (npm run build says more): ${error.message}\n`);
    process.exitCode = 1;
  });
else run();
