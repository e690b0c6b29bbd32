import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The browser for the approval page's test: Debian's chromium, driven by playwright-core. This machine kind reaches
 * only the npm registry and Debian's packages, so a test tool's own browser download (`npx playwright install`)
 * cannot work; Debian's package can. A fresh machine gets it from the first `npm test` that needs it: the harness
 * installs it with apt-get, saying so, once (a lock keeps two test runs from installing at the same time). Where
 * it cannot (not root, no apt-get), the test fails with the command to run: it is never skipped.
 */

/** Where a chromium is looked for, first found wins: KMS_WARDEN_CHROMIUM, then Debian's and others' usual paths. */
export const chromiumCandidates = (env: NodeJS.ProcessEnv = process.env): string[] => [
  ...(env.KMS_WARDEN_CHROMIUM ? [env.KMS_WARDEN_CHROMIUM] : []),
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

export const installCommand =
  'apt-get -o DPkg::Lock::Timeout=600 update && apt-get -o DPkg::Lock::Timeout=600 install -y chromium';

export type BrowserPlan =
  { kind: 'found'; path: string } | { kind: 'install'; path: string } | { kind: 'cannot'; message: string };

/** What to do, from what the machine has: pure, so each branch is tested without touching the machine. */
export const planBrowser = (machine: {
  candidates: string[];
  executable: (path: string) => boolean;
  isRoot: boolean;
  hasAptGet: boolean;
  overridden: boolean;
}): BrowserPlan => {
  const found = machine.candidates.find(machine.executable);
  if (found) return { kind: 'found', path: found };
  if (machine.overridden) {
    return {
      kind: 'cannot',
      message: `KMS_WARDEN_CHROMIUM names ${machine.candidates[0]}, which is not an executable file: point it at a chromium, or unset it to use Debian's (${installCommand})`,
    };
  }
  if (!machine.hasAptGet) {
    return {
      kind: 'cannot',
      message: `the approval page's browser test needs chromium and this machine has no apt-get to install it: install a chromium and set KMS_WARDEN_CHROMIUM to its path`,
    };
  }
  if (!machine.isRoot) {
    return {
      kind: 'cannot',
      message: `the approval page's browser test needs Debian's chromium, which only root can install: run \`sudo sh -c '${installCommand}'\`, then npm test again`,
    };
  }
  return { kind: 'install', path: '/usr/bin/chromium' };
};

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

const onPath = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * The lock is the project's own (under node_modules/.cache, not a shared /tmp anyone may create names in); two
 * projects installing at once meet at apt's own lock, which the install command waits on.
 */
const lockDir = join(__dirname, '..', '..', 'node_modules', '.cache', 'kms-warden-chromium-install.lock');
/** An install that has held the lock this long has died; the next one takes over. */
const staleAfterMs = 15 * 60_000;

const takeLock = (): boolean => {
  try {
    mkdirSync(join(lockDir, '..'), { recursive: true });
    mkdirSync(lockDir);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(lockDir).mtimeMs > staleAfterMs) {
        rmSync(lockDir, { recursive: true, force: true });
        return takeLock();
      }
    } catch {
      // The holder finished between the two calls: try again on the next turn.
    }
    return false;
  }
};

/** The chromium to launch: found, or installed now from Debian's packages; otherwise an error saying what to run. */
export const chromiumExecutable = async (
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> => {
  const machine = () => ({
    candidates: chromiumCandidates(),
    executable: isExecutable,
    isRoot: process.getuid?.() === 0,
    hasAptGet: onPath('apt-get'),
    overridden: Boolean(process.env.KMS_WARDEN_CHROMIUM),
  });
  let plan = planBrowser(machine());
  if (plan.kind === 'found') return plan.path;
  if (plan.kind === 'cannot') throw new Error(plan.message);
  const deadline = Date.now() + staleAfterMs;
  while (!takeLock()) {
    // Another test run is installing it: wait for it to finish.
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for another chromium install (${lockDir}); remove it if no install is running`);
    await sleep(2_000);
    plan = planBrowser(machine());
    if (plan.kind === 'found') return plan.path;
  }
  try {
    plan = planBrowser(machine());
    if (plan.kind === 'found') return plan.path;
    if (plan.kind === 'cannot') throw new Error(plan.message);
    log(
      `kms-warden tests: no chromium on this machine; installing Debian's for the approval page's browser test (${installCommand}), once, about a minute`,
    );
    const started = Date.now();
    try {
      execFileSync('sh', ['-c', installCommand], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 10 * 60_000,
      });
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      throw new Error(
        `could not install Debian's chromium (${installCommand}): ${stderr || (error as Error).message}. Install it by hand, or set KMS_WARDEN_CHROMIUM to a chromium`,
        { cause: error },
      );
    }
    if (!isExecutable(plan.path)) throw new Error(`${installCommand} finished but ${plan.path} is not there`);
    log(`kms-warden tests: chromium installed in ${Math.round((Date.now() - started) / 1000)} s (${plan.path})`);
    return plan.path;
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
};

/** Flags for chromium here: no sandbox as root, and no background connections (this machine's network is closed). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
