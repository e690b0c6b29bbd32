import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CLI as people run it: the launcher (package.json bin, npm start) and the build it runs, in a process of its own.
 */
const root = join(__dirname, '..', '..', '..');
const launcher = join(root, 'src', 'cli', 'kms-warden.cjs');
// Builds of these tests go to a folder of their own, so they race no other test's build; under node_modules, where a
// build's packages resolve from.
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const cache = mkdtempSync(join(root, 'node_modules', '.cache', 'kms-warden-cli-test-'));
const env = { ...process.env, AWS_REGION: '', AWS_PROFILE: '', KMS_WARDEN_CLI_CACHE: cache };
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [launcher, ...args], { cwd: root, encoding: 'utf8', env, timeout: 60_000 });
const builds = () => readdirSync(cache).sort();
const built = () => join(cache, builds().at(-1)!);

/**
 * Moves a file's modification time on, and back when done (to the millisecond: a restored time may still differ from
 * the original below it, so a test never counts on the build from before).
 */
const touched = async (path: string, during: () => Promise<void> | void) => {
  const { atime, mtime } = statSync(path);
  const later = new Date(mtime.getTime() + 5_000);
  utimesSync(path, later, later);
  try {
    await during();
  } finally {
    utimesSync(path, atime, mtime);
  }
};

describe('the kms-warden launcher', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'src', 'cli', 'build.cjs')], { cwd: root, env });
  }, 60_000);
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('prints the usage from the built CLI', () => {
    const result = cli('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('kms-warden: incident response for AWS KMS');
  });

  it('answers a usage error with exit code 2 and a hint', () => {
    const result = cli('frobnicate');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate". See kms-warden --help.');
  });

  it('keeps every command, and the AWS SDK, out of the entry: --help loads none of them', () => {
    const main = readFileSync(join(built(), 'main.js'), 'utf8');
    expect(main).not.toMatch(/require\("@aws-sdk|require\("zod"\)/);
    expect(main).toContain('import("./replay-command.js")');
    expect(statSync(join(built(), 'replay-command.js')).isFile()).toBe(true);
  });

  it.each([
    ['a source', join('src', 'cli', 'io.ts')],
    ['the build script', join('src', 'cli', 'build.cjs')],
    ['the TypeScript settings', 'tsconfig.json'],
    ['the locked dependencies', 'package-lock.json'],
  ])('builds anew when %s changes, and uses that build again while nothing else does', async (_what, file) => {
    const before = builds();
    await touched(join(root, file), () => {
      expect(cli('--help').status).toBe(0);
      expect(builds()).toHaveLength(before.length + 1);
      expect(cli('--help').status).toBe(0);
      expect(builds()).toHaveLength(before.length + 1);
    });
  });

  it('ends with one whole build when many launchers start at once on a changed source', async () => {
    await touched(join(root, 'src', 'cli', 'log-level.ts'), async () => {
      const before = builds().length;
      const runs = await Promise.all(
        Array.from(
          { length: 12 },
          () =>
            new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
              const child = spawn(process.execPath, [launcher, '--help'], { cwd: root, env });
              let stdout = '';
              let stderr = '';
              child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
              child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
              child.on('close', (code) => resolve({ code, stdout, stderr }));
            }),
        ),
      );
      for (const run of runs) {
        expect(run).toMatchObject({ code: 0, stderr: '' });
        expect(run.stdout).toContain('kms-warden: incident response for AWS KMS');
      }
      // One folder more, whole: the builds that lost the rename left nothing behind.
      expect(builds()).toHaveLength(before + 1);
      expect(builds().some((name) => name.includes('.building-'))).toBe(false);
    });
  }, 60_000);

  it('runs a read-only command with only the setting it reads, and lists every missing one at once otherwise', () => {
    const list = cli('incidents', 'list');
    expect(list.status).toBe(2);
    expect(list.stderr).toMatch(/INCIDENT_TABLE: is not set/);
    expect(list.stderr).not.toMatch(/NOTIFICATION_TOPIC_ARN/);
    const approve = cli('approve', 'inc-1', '--yes');
    expect(approve.status).toBe(2);
    expect(approve.stderr).toMatch(
      /INCIDENT_TABLE: is not set; NOTIFICATION_TOPIC_ARN: is not set; DEAD_LETTER_QUEUE_URL: is not set/,
    );
  });
});
