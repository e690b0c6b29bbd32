import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRegion } from '../../../src/composition/cli';
import { commandNames, main } from '../../../src/cli/main';
import { errorHint } from '../../../src/cli/error-hint';
import { captured } from '../../support/captured-io';

describe('the CLI flags every command shares', () => {
  const region = process.env.AWS_REGION;
  afterEach(() => {
    if (region === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = region;
  });

  it.each(commandNames)(
    '%s answers --help with a usage that offers --json, and accepts --json with it',
    async (name) => {
      const help = captured();
      expect(await main([name, '--help'], help.io)).toBe(0);
      expect(help.out.join('\n')).toMatch(/^Usage/);
      expect(help.out.join('\n')).toContain('--json');
      expect(help.err).toEqual([]);
      const both = captured();
      expect(await main([name, '--json', '--help', '--region', 'eu-west-1'], both.io)).toBe(0);
      expect(both.out).toEqual(help.out);
    },
  );

  it('refuses an unknown flag in one line that points to --help, exit code 2', async () => {
    const run = captured();
    expect(await main(['incidents', 'list', '--colour'], run.io)).toBe(2);
    expect(run.err).toEqual([
      expect.stringMatching(/^kms-warden incidents: Unknown option '--colour'.*See kms-warden incidents --help\.$/),
    ]);
  });
});

describe('errors say the fix in the same line', () => {
  it('names the stack output that holds a missing setting, exit code 2', async () => {
    const table = process.env.INCIDENT_TABLE;
    delete process.env.INCIDENT_TABLE;
    try {
      const run = captured();
      expect(await main(['incidents', 'list'], run.io)).toBe(2);
      expect(run.err).toEqual([
        `kms-warden incidents: INCIDENT_TABLE: is not set; set it from the deployed stack: export INCIDENT_TABLE=$(aws cloudformation describe-stacks --stack-name kms-warden-STAGE --query "Stacks[0].Outputs[?OutputKey=='IncidentsTableName'].OutputValue" --output text)`,
      ]);
    } finally {
      if (table !== undefined) process.env.INCIDENT_TABLE = table;
    }
  });

  it.each([
    ['CredentialsProviderError', 'Could not load credentials from any providers', /--profile NAME/],
    ['ExpiredTokenException', 'The security token included in the request is expired', /have expired/],
    ['AccessDeniedException', 'User is not authorized to perform kms:ListAliases', /lacks this permission/],
    ['ResourceNotFoundException', 'Requested resource not found: Table: x not found', /INCIDENT_TABLE and the Region/],
  ])('%s gets a fix', (name, message, fix) => {
    expect(errorHint(Object.assign(new Error(message), { name }))).toMatch(fix);
  });

  it('adds nothing to an error it knows no fix for', () => {
    expect(errorHint(Object.assign(new Error('socket hang up'), { name: 'Error' }))).toBeUndefined();
  });
});

describe("the CLI's Region", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of [
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_PROFILE',
      'AWS_CONFIG_FILE',
      'AWS_SHARED_CREDENTIALS_FILE',
    ]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  const withProfile = (config: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-warden-profile-'));
    writeFileSync(join(dir, 'config'), config);
    writeFileSync(join(dir, 'credentials'), '');
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    Object.assign(process.env, {
      AWS_PROFILE: 'p2',
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    });
  };

  it("is the profile's when --region is not given, and --region's when it is", async () => {
    withProfile('[profile p2]\nregion = eu-west-1\n');
    expect(await cliRegion()).toBe('eu-west-1');
    process.env.AWS_REGION = 'ap-southeast-2';
    expect(await cliRegion()).toBe('ap-southeast-2');
  });

  it('is never guessed: without one, the error says how to give it, exit code 2', async () => {
    withProfile('[profile p2]\noutput = json\n');
    const run = captured();
    expect(await main(['inventory', 'alias/payments'], run.io)).toBe(2);
    expect(run.err).toEqual([
      'kms-warden inventory: AWS_REGION: is not set, and no Region comes from profile p2 (does it exist?); pass --region R, or give the profile one (aws configure set region R)',
    ]);
  });
});
