import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CLI as people run it: the launcher (package.json bin, npm start) and the build it runs, in a process of its own.
 */
const root = join(__dirname, '..', '..', '..');
const launcher = join(root, 'src', 'cli', 'kms-warden.cjs');
const built = join(root, 'node_modules', '.cache', 'kms-warden-cli');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [launcher, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: '', AWS_PROFILE: '' },
    timeout: 60_000,
  });

describe('the kms-warden launcher', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'src', 'cli', 'build.cjs')], { cwd: root });
  }, 60_000);

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
    const main = readFileSync(join(built, 'main.js'), 'utf8');
    expect(main).not.toMatch(/require\("@aws-sdk|require\("zod"\)/);
    expect(main).toContain('import("./replay-command.js")');
    expect(statSync(join(built, 'replay-command.js')).isFile()).toBe(true);
  });

  it('rebuilds when a source is newer than the build', () => {
    const stamp = join(built, '.built');
    const before = statSync(stamp).mtimeMs;
    const source = join(root, 'src', 'cli', 'io.ts');
    const later = new Date(before + 5_000);
    utimesSync(source, later, later);
    expect(cli('--help').status).toBe(0);
    expect(statSync(stamp).mtimeMs).toBeGreaterThan(before);
  });

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
