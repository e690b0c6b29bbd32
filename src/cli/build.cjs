#!/usr/bin/env node
// Builds the CLI ahead of time with esbuild: a small entry (arguments, usage) and one file per command, loaded when
// the command runs, so `kms-warden --help` loads no command and no AWS SDK. `npm run build` runs it; the launcher
// (kms-warden.cjs) runs it too when no build matches the sources. Packages stay in node_modules (external).
//
// Each build lives in a folder named by a fingerprint of what it was built from (every source's path, size and
// modification time, this file, package.json, package-lock.json and tsconfig.json), taken before building. So:
// - a build is current exactly when its folder exists: an edit anywhere the fingerprint looks makes a new one, an
//   edit made while a build ran included (the fingerprint was taken before it);
// - builds never share a folder while they are written: each writes a folder of its own and renames it into place
//   (a rename is atomic), so two launchers building at once both end with a whole build, whichever rename won;
// - a CLI already running keeps the folder it loaded from (its commands load later, from beside its main.js).
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
/** Where builds go; KMS_WARDEN_CLI_CACHE moves it (the launcher's tests build into folders of their own). */
const cache = process.env.KMS_WARDEN_CLI_CACHE || join(root, 'node_modules', '.cache', 'kms-warden-cli');
/** Builds kept besides the current one (older ones are removed a day after they were made). */
const keep = 3;
const dayMs = 24 * 60 * 60 * 1000;

/** The entries: main, each command main loads, and the replay worker (a thread of its own). */
const entries = () => [
  ...readdirSync(__dirname)
    .filter((name) => name === 'main.ts' || /-command(s)?\.ts$/.test(name))
    .map((name) => join(__dirname, name)),
  join(root, 'src', 'replay', 'prepare-worker.ts'),
];

/** What a build is made from: the sources under src/ and handlers/ (the demo loads handlers) and the build's inputs. */
const fingerprint = () => {
  const hash = createHash('sha256');
  const add = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    hash.update(`${path.slice(root.length)}\0${stat ? `${stat.size}\0${stat.mtimeMs}` : 'missing'}\n`);
  };
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json|cjs)$/.test(entry.name)) add(path);
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'handlers'));
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json']) add(join(root, file));
  return hash.digest('hex').slice(0, 20);
};

/** The folder of the build for the sources as they are now. */
const current = () => join(cache, fingerprint());

const isStale = () => !existsSync(join(current(), 'main.js'));

/** main imports each command as './x-command': in the build, the file of that command beside main.js. */
const commandsStayApart = {
  name: 'commands-stay-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z-]+-commands?$/ }, (args) => ({ path: `${args.path}.js`, external: true }));
  },
};

/**
 * Removes builds other than `latest` beyond the newest few, once they are a day old (a CLI may still be running).
 * Other launchers build and rename beside it, so a folder may vanish between listing and looking: pruning is tidying,
 * and never fails a run.
 */
const prune = (latest) => {
  try {
    const entries = readdirSync(cache, { withFileTypes: true });
    // Files beside the builds are what the single-folder layout of earlier versions left.
    for (const entry of entries.filter((entry) => entry.isFile())) rmSync(join(cache, entry.name), { force: true });
    const builds = entries
      .filter((entry) => entry.isDirectory() && join(cache, entry.name) !== latest)
      .map((entry) => ({
        path: join(cache, entry.name),
        made: statSync(join(cache, entry.name), { throwIfNoEntry: false })?.mtimeMs,
      }))
      .filter((build) => build.made !== undefined)
      .sort((a, b) => b.made - a.made);
    const now = Date.now();
    for (const [index, build] of builds.entries()) {
      const unfinished = build.path.includes('.building-');
      if ((index >= keep || unfinished) && now - build.made > dayMs)
        rmSync(build.path, { recursive: true, force: true });
    }
  } catch (error) {
    process.emitWarning(`kms-warden: old CLI builds were not tidied: ${error.message}`);
  }
};

const buildAll = async () => {
  const started = Date.now();
  const outdir = current();
  const building = `${outdir}.building-${process.pid}-${started}`;
  mkdirSync(building, { recursive: true });
  const esbuild = require('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    outdir: building,
    entryNames: '[name]',
  };
  const all = entries();
  const main = all.filter((path) => path.endsWith(join('cli', 'main.ts')));
  try {
    await Promise.all([
      esbuild.build({ ...common, entryPoints: main, plugins: [commandsStayApart] }),
      esbuild.build({ ...common, entryPoints: all.filter((path) => !main.includes(path)) }),
    ]);
    renameSync(building, outdir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    // Another build of the same sources renamed its folder first: that build is as good as this one.
    if (!existsSync(join(outdir, 'main.js'))) throw error;
  }
  prune(outdir);
  return { outdir, ms: Date.now() - started };
};

module.exports = { current, isStale, build: buildAll };

if (require.main === module) {
  buildAll().then(({ outdir, ms }) => process.stdout.write(`kms-warden CLI built in ${ms} ms: ${outdir}\n`));
}
