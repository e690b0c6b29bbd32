// esbuild plugins for the functions' packages (serverless.yml, custom.esbuild.plugins). serverless-esbuild builds each
// function's handler on its own, into one folder (handlers/), and zips for a function every file of that folder but
// the other functions' (handlers/<other handler>.*).
const { writeFileSync } = require('node:fs');
const { basename, extname, join } = require('node:path');

/**
 * The files a function's handler loads later (code splitting: each dynamic import is a file) go under
 * handlers/<handler>.chunks/, so they go into that function's zip only.
 */
const chunksBesideTheirHandler = {
  name: 'chunks-beside-their-handler',
  setup(build) {
    const entries = Object.values(build.initialOptions.entryPoints ?? {});
    if (entries.length !== 1) throw new Error(`one handler per build, not ${entries.length}`);
    const entry = typeof entries[0] === 'string' ? entries[0] : entries[0].in;
    build.initialOptions.chunkNames = `${basename(entry, extname(entry))}.chunks/[name]-[hash]`;
  },
};

/**
 * The handlers are ES modules in .js files: the package.json nearest to them says so, for Node and for Lambda's
 * runtime. (serverless-esbuild leaves a package.json at the top of the package out, not this one.)
 */
const handlersAreEsModules = {
  name: 'handlers-are-es-modules',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length === 0)
        writeFileSync(join(build.initialOptions.outdir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
    });
  },
};

/**
 * zod's messages in English only, the language it speaks unless told otherwise (nothing here tells it). `import { z }
 * from 'zod'` makes esbuild keep the whole namespace, z.locales and its 40-odd languages with it (270 KB minified), in
 * the file every function loads at start: the config is read with zod. Without them the activity function loads in 1.7
 * times a bare node's time, not 1.8 (npm run bench:activity). Only z.locales loses its other languages.
 */
const zodInEnglish = {
  name: 'zod-in-english',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
    }));
  },
};

module.exports = [chunksBesideTheirHandler, handlersAreEsModules, zodInEnglish];
