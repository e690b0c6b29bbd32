#!/usr/bin/env node
// Builds the CLI ahead of time with esbuild: a small entry (arguments, usage) and one file per command, loaded when
// the command runs, so `kms-warden --help` loads no command and no AWS SDK. `npm run build` runs it; the launcher
// (kms-warden.cjs) runs it too when the sources are newer than the build. Packages stay in node_modules (external).
const { mkdirSync, readdirSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const outdir = join(root, 'node_modules', '.cache', 'kms-warden-cli');
const stamp = join(outdir, '.built');

/** The entries: main, each command main loads, and the replay worker (a thread of its own). */
const entries = () => [
  ...readdirSync(__dirname)
    .filter((name) => name === 'main.ts' || /-command(s)?\.ts$/.test(name))
    .map((name) => join(__dirname, name)),
  join(root, 'src', 'replay', 'prepare-worker.ts'),
];

/** The newest modification time among the sources the build reads (src/ and handlers/, which the demo loads). */
const newestSource = () => {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'handlers'));
  return newest;
};

const isStale = () => {
  try {
    return statSync(stamp).mtimeMs < newestSource();
  } catch {
    return true;
  }
};

/** main imports each command as './x-command': in the build, the file of that command beside main.js. */
const commandsStayApart = {
  name: 'commands-stay-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z-]+-commands?$/ }, (args) => ({ path: `${args.path}.js`, external: true }));
  },
};

const buildAll = async () => {
  const started = Date.now();
  mkdirSync(outdir, { recursive: true });
  const esbuild = require('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    outdir,
    entryNames: '[name]',
  };
  const all = entries();
  const main = all.filter((path) => path.endsWith(join('cli', 'main.ts')));
  await Promise.all([
    esbuild.build({ ...common, entryPoints: main, plugins: [commandsStayApart] }),
    esbuild.build({ ...common, entryPoints: all.filter((path) => !main.includes(path)) }),
  ]);
  writeFileSync(stamp, new Date().toISOString());
  return { outdir, ms: Date.now() - started };
};

module.exports = { outdir, isStale, build: buildAll };

if (require.main === module) {
  buildAll().then(({ ms }) => process.stdout.write(`kms-warden CLI built in ${ms} ms: ${outdir}\n`));
}
