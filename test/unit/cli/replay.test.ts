import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../../src/cli/main';
import { projectRoot } from '../../../src/local/stack-definition';
import { fromAccount, record, viaEventBridge, withRequest } from '../../support/records';
import { s3PutObject } from '../../support/cases/api-call';

/** What replay printed: signal lines in `out`, story lines (JSON "kind": "story", or the table's last part) apart. */
const run = async (...argv: string[]) => {
  const printed: string[] = [];
  const err: string[] = [];
  const code = await main(['replay', ...argv], { out: (l) => printed.push(l), err: (l) => err.push(l) });
  const table = printed.indexOf('');
  const stories = table >= 0 ? printed.slice(table + 2) : printed.filter((l) => l.startsWith('{"kind":"story"'));
  const out = table >= 0 ? printed.slice(0, table) : printed.filter((l) => !l.startsWith('{"kind":"story"'));
  return { code, out, err, stories };
};

describe('kms-warden replay', () => {
  let dir: string;
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const scheduled = record('ScheduleKeyDeletion.assumed-role');
  const disabled = record('DisableKey.assumed-role');
  const externalGrant = withRequest(record('CreateGrant.iam-user'), {
    granteePrincipal: 'arn:aws:iam::999988887777:role/exfil',
  });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-warden-replay-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a CloudTrail log file as S3 receives it, gzipped, and prints one JSON object per signal', async () => {
    const path = file(
      '111122223333_CloudTrail_us-west-2_20190101T0000Z_abc.json.gz',
      gzipSync(JSON.stringify({ Records: [disabled, scheduled] })),
    );
    const { code, out, err } = await run('--json', path);
    expect(code).toBe(0);
    const signals = out.map((line) => JSON.parse(line));
    expect(signals.map((s) => s.detector)).toEqual(['key-disabled', 'key-deletion-scheduled']);
    expect(signals[1]).toEqual(
      expect.objectContaining({
        detector: 'key-deletion-scheduled',
        severity: 'critical',
        eventId: '1',
        eventName: 'ScheduleKeyDeletion',
        eventTime: '2019-01-01T00:00:00.000Z',
        keyArn: 'arn:aws:kms:us-west-2:123456789012:key/1',
        principalArn: 'arn:aws:iam::123456789012:role/tester',
        summary: expect.stringContaining('scheduled'),
      }),
    );
    expect(err.at(-1)).toMatch(
      /^replayed 2 events from 1 file\(s\) in .* 2 signals in 1 story, 0 malformed, 0 out of order$/,
    );
  });

  it('reads NDJSON of records and EventBridge events, counts malformed lines on stderr and still exits 0', async () => {
    const lines = [
      JSON.stringify(viaEventBridge(scheduled)),
      '{"not": "an event"}',
      'this is not json',
      JSON.stringify(externalGrant),
    ];
    const { code, out, err } = await run('--json', file('mixed.ndjson', lines.join('\n')));
    expect(code).toBe(0);
    expect(out.map((line) => JSON.parse(line).detector)).toEqual([
      'grant-external-principal',
      'key-deletion-scheduled',
    ]);
    expect(err.filter((line) => line.startsWith('malformed: '))).toEqual([
      expect.stringMatching(/mixed\.ndjson:2: \(event\): neither/),
      expect.stringMatching(/mixed\.ndjson:3: not JSON/),
    ]);
    expect(err.at(-1)).toContain('2 malformed');
  });

  it('names the true line of a malformed input when blank lines come before it', async () => {
    const lines = [
      JSON.stringify(viaEventBridge(scheduled)),
      '',
      '',
      'this is not json',
      '',
      JSON.stringify(externalGrant),
      'nor this',
    ];
    const { code, err } = await run('--json', file('blank.ndjson', lines.join('\n')));
    expect(code).toBe(0);
    expect(err.filter((line) => line.startsWith('malformed: '))).toEqual([
      expect.stringMatching(/blank\.ndjson:4: not JSON/),
      expect.stringMatching(/blank\.ndjson:7: not JSON/),
    ]);
  });

  it('puts events from several files in time order', async () => {
    const later = { ...scheduled, eventID: 'later', eventTime: '2019-01-01T00:05:00Z' };
    const earlier = { ...disabled, eventID: 'earlier', eventTime: '2019-01-01T00:01:00Z' };
    const { out } = await run(
      '--json',
      file('a.ndjson', JSON.stringify(later)),
      file('b.ndjson', JSON.stringify(earlier)),
    );
    expect(out.map((line) => JSON.parse(line).eventId)).toEqual(['earlier', 'later']);
  });

  it('reads a pretty-printed EventBridge event file', async () => {
    const path = file('event.json', JSON.stringify(viaEventBridge(scheduled), null, 2));
    const { out } = await run(path);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^2019-01-01T00:00:00Z {2}critical {2}key-deletion-scheduled {11}arn:aws:iam::123456789012:role\/tester scheduled/,
    );
  });

  it('takes trusted accounts from the command line and settings from a file', async () => {
    const path = file('grant.ndjson', JSON.stringify(externalGrant));
    expect((await run('--json', path)).out).toHaveLength(1);
    expect((await run('--json', '--trusted-accounts', '999988887777', path)).out).toHaveLength(0);
    const config = file('settings.json', JSON.stringify({ trustedAccounts: ['999988887777'] }));
    expect((await run('--json', '--config', config, path)).out).toHaveLength(0);
  });

  it.each([
    ['a file that does not exist', ['/no/such/file.json'], /^kms-warden replay: cannot read \/no\/such\/file.json/],
    ['no file at all', [], /name at least one file/],
    ['a settings file with an unknown field', ['--config', 'CONFIG', 'x'], /bad settings/],
  ])('exits 2 for %s', async (_name, args, message) => {
    const config = file('bad-settings.json', JSON.stringify({ trustedAcounts: ['999988887777'] }));
    const { code, err } = await run(...args.map((a) => (a === 'CONFIG' ? config : a)));
    expect(code).toBe(2);
    expect(err.at(-1)).toMatch(message);
  });

  it('finds the same signals with worker threads as in the main thread, on every real record', async () => {
    const real = readdirSync(join(projectRoot, 'test/fixtures/real'))
      .filter((f) => f.endsWith('.ndjson'))
      .map((f) => join(projectRoot, 'test/fixtures/real', f));
    const inProcess = await run('--json', '--workers', '0', ...real);
    const threaded = await run('--json', '--workers', '2', ...real);
    expect(threaded.code).toBe(0);
    expect(threaded.out).toEqual(inProcess.out);
    expect(threaded.out.length).toBeGreaterThan(10);
    expect(threaded.err.at(-1)).toEqual(
      expect.stringContaining(inProcess.err.at(-1)!.replace(/^replayed (\d+ events from \d+ file\(s\)).*$/, '$1')),
    );
  });

  it('walks a directory laid out as CloudTrail writes it, in delivery order across accounts and Regions', async () => {
    // Names sort account by account; delivery times interleave them. Read in name order, the second account's
    // earlier events would come out of order.
    const root = join(dir, 'org', 'AWSLogs', 'o-a1b2c3d4e5');
    const put = (account: string, region: string, stamp: string, records: object[]) => {
      const folder = join(root, account, 'CloudTrail', region, '2019', '01', '01');
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        join(folder, `${account}_CloudTrail_${region}_${stamp}_abcdefghijklmnop.json.gz`),
        gzipSync(JSON.stringify({ Records: records })),
      );
    };
    const at = (id: string, time: string) => ({ ...disabled, eventID: id, eventTime: time });
    put('111111111111', 'us-east-1', '20190101T0005Z', [at('a1', '2019-01-01T00:01:00Z')]);
    put('111111111111', 'us-east-1', '20190101T0020Z', [at('a2', '2019-01-01T00:16:00Z')]);
    put('222222222222', 'eu-west-1', '20190101T0010Z', [at('b1', '2019-01-01T00:08:00Z')]);
    // Not a log file, and CloudTrail's digests beside the logs (as `aws s3 sync` copies them): not read.
    writeFileSync(join(root, 'README.txt'), 'not a log');
    const digests = join(root, '111111111111', 'CloudTrail-Digest', 'us-east-1', '2019', '01', '01');
    mkdirSync(digests, { recursive: true });
    writeFileSync(
      join(digests, '111111111111_CloudTrail-Digest_us-east-1_trail_us-east-1_20190101T001500Z.json.gz'),
      gzipSync(JSON.stringify({ digestStartTime: '2019-01-01T00:00:00Z' })),
    );
    const { code, out, err } = await run('--json', join(dir, 'org'));
    expect(code).toBe(0);
    expect(out.map((line) => JSON.parse(line).eventId)).toEqual(['a1', 'b1', 'a2']);
    expect(err.at(-1)).toMatch(/^replayed 3 events from 3 file\(s\).* 0 malformed, 0 out of order$/);

    // --since and --until keep the events of the window; files delivered before --since are not read.
    const window = await run(
      '--json',
      '--since',
      '2019-01-01T00:06:00Z',
      '--until',
      '2019-01-01T00:10:00Z',
      join(dir, 'org'),
    );
    expect(window.out.map((line) => JSON.parse(line).eventId)).toEqual(['b1']);
    expect(window.err.at(-1)).toMatch(/^replayed 1 events from 2 file\(s\)/);
  });

  it("reports each cross-account call of an organization trail once, though both accounts' trails log it", async () => {
    // A call on a key of 111122223333 by a user of 999988887777 is logged in both accounts, each record with its own
    // eventID and the same sharedEventID (https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html,
    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
    const root = join(dir, 'org-shared', 'AWSLogs', 'o-a1b2c3d4e5');
    const decrypt = fromAccount(record('Decrypt.iam-user'), '999988887777');
    const put = (account: string, stamp: string, records: object[]) => {
      const folder = join(root, account, 'CloudTrail', 'us-west-2', '2022', '09', '01');
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        join(folder, `${account}_CloudTrail_us-west-2_${stamp}_abcdefghijklmnop.json.gz`),
        gzipSync(JSON.stringify({ Records: records })),
      );
    };
    const copy = (recipient: string, eventID: string, sharedEventID: string, minute: number) => ({
      ...decrypt,
      eventID,
      sharedEventID,
      eventTime: `2022-09-01T19:${String(minute).padStart(2, '0')}:00Z`,
      recipientAccountId: recipient,
    });
    // Three calls; the caller's account delivers its file first for the first two.
    put('999988887777', '20220901T1905Z', [copy('999988887777', 'c1', 's1', 1), copy('999988887777', 'c2', 's2', 2)]);
    put('111122223333', '20220901T1910Z', [
      copy('111122223333', 'k1', 's1', 1),
      copy('111122223333', 'k2', 's2', 2),
      copy('111122223333', 'k3', 's3', 3),
    ]);
    for (const workers of ['0', '2']) {
      const { code, out, err } = await run('--json', '--workers', workers, join(dir, 'org-shared'));
      expect(code).toBe(0);
      const signals = out.map((line) => JSON.parse(line)).filter((s) => s.detector === 'cross-account-key-use');
      // Either account's record may stand for the call (they tie on time): each call once.
      const call = (eventId: string) => eventId.replace(/^[ck]/, 's');
      expect([workers, signals.map((s) => call(s.eventId))]).toEqual([workers, ['s1', 's2', 's3']]);
      expect(err.at(-1)).toMatch(
        /^replayed 5 events from 2 file\(s\).*, 2 second records of cross-account calls left out$/,
      );
    }
  });

  it("prefers the caller's record of a cross-account call to the key owner's, which may name the caller by id only", async () => {
    // The key owner's copy may carry userIdentity type AWSAccount with the caller's account and principal id only
    // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
    const decrypt = fromAccount(record('Decrypt.iam-user'), '999988887777');
    const thin = (eventID: string, sharedEventID: string, minute: number) => ({
      ...decrypt,
      userIdentity: { type: 'AWSAccount', principalId: 'AIDAEXAMPLE', accountId: '999988887777' },
      eventID,
      sharedEventID,
      eventTime: `2022-09-01T19:0${minute}:00Z`,
      recipientAccountId: '111122223333',
    });
    const rich = (eventID: string, sharedEventID: string, minute: number) => ({
      ...decrypt,
      eventID,
      sharedEventID,
      eventTime: `2022-09-01T19:0${minute}:00Z`,
      recipientAccountId: '999988887777',
    });
    // The owner's thin copy read first for s1; s2 has no caller's copy (a trail of the key's account alone).
    const path = file(
      'thin-and-rich.json',
      JSON.stringify({ Records: [thin('k1', 's1', 1), thin('k2', 's2', 2), rich('c1', 's1', 1)] }),
    );
    const { code, out, err } = await run('--json', '--workers', '0', path);
    expect(code).toBe(0);
    const signals = out.map((line) => JSON.parse(line)).filter((s) => s.detector === 'cross-account-key-use');
    expect(signals.map((s) => [s.eventId, s.principalArn])).toEqual([
      ['c1', 'arn:aws:iam::999988887777:user/Alice'],
      ['k2', expect.any(String)],
    ]);
    expect(err.at(-1)).toMatch(/, 1 second records of cross-account calls left out$/);
  });

  it("reports a workload's writes under a bucket's outside default once an hour, as the responder does", async () => {
    const outsideKey = 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const write = (minute: number) => ({
      ...s3PutObject(outsideKey),
      eventID: `w${minute}`,
      eventTime: `2026-11-20T10:${String(minute).padStart(2, '0')}:00Z`,
      requestParameters: { bucketName: 'ledger-exports', key: `exports/${minute}.csv` },
      responseElements: {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': outsideKey,
      },
    });
    const path = file('bucket-default.json', JSON.stringify({ Records: [1, 2, 3, 40, 59].map(write) }));
    for (const workers of ['0', '2']) {
      const { code, out } = await run('--json', '--workers', workers, path);
      expect(code).toBe(0);
      expect([workers, out.map((line) => JSON.parse(line).eventId)]).toEqual([workers, ['w1']]);
    }
  });

  it('goes on past a file cut short, and says which one', async () => {
    const whole = gzipSync(JSON.stringify({ Records: [disabled, scheduled] }));
    const cut = file('cut.json.gz', whole.subarray(0, whole.length - 12));
    const fine = file('fine.json', JSON.stringify({ Records: [{ ...scheduled, eventID: 'fine' }] }));
    for (const workers of ['0', '2']) {
      const { code, out, err } = await run('--json', '--workers', workers, cut, fine);
      // The signals of what was read are printed, and the run fails: a source was not read to its end.
      expect(code).toBe(2);
      expect(err.at(-1)).toMatch(/ 1 unreadable, /);
      expect(out.map((line) => JSON.parse(line).eventId)).toContain('fine');
      expect(err).toContainEqual(expect.stringMatching(/^unreadable: .*cut\.json\.gz: could not be read to its end/));
    }
  });

  it.each([
    [['--since', 'yesterday', 'x'], /--since takes an ISO 8601 time/],
    [['--since', '2019-01-02', '--until', '2019-01-01', 'x'], /--since must come before --until/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const { code, err } = await run(...args);
    expect(code).toBe(2);
    expect(err.at(-1)).toMatch(message);
  });

  it('refuses a negative worker count', async () => {
    expect((await run('--workers', '-1', 'x')).code).toBe(2);
  });

  it('runs through the installed entry point', () => {
    const path = file('entry.ndjson', JSON.stringify(scheduled));
    const result = spawnSync(
      process.execPath,
      [join(projectRoot, 'src/cli/kms-warden.cjs'), 'replay', '--json', path],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.status).toBe(0);
    const [signal, story] = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(signal).toMatchObject({ detector: 'key-deletion-scheduled' });
    expect(story).toMatchObject({ kind: 'story', id: signal.story, signals: 1 });
    expect(readFileSync(path, 'utf8')).toContain('ScheduleKeyDeletion');
  });

  it('groups the signals into stories as the responder groups incidents: one per principal within the window', async () => {
    const at = (eventTime: string, eventID: string, roleArn = 'arn:aws:iam::123456789012:role/tester') => ({
      ...scheduled,
      eventTime,
      eventID,
      userIdentity: {
        ...scheduled.userIdentity,
        arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/s`,
        sessionContext: {
          ...(scheduled.userIdentity as { sessionContext: { sessionIssuer: object } }).sessionContext,
          sessionIssuer: {
            ...(scheduled.userIdentity as { sessionContext: { sessionIssuer: object } }).sessionContext.sessionIssuer,
            arn: roleArn,
          },
        },
      },
    });
    const records = [
      at('2026-11-01T10:00:00Z', 'a1'),
      at('2026-11-01T11:00:00Z', 'b1', 'arn:aws:iam::123456789012:role/other'),
      at('2026-11-01T13:00:00Z', 'a2'),
      // A day later: the same principal's next story.
      at('2026-11-02T13:00:00Z', 'a3'),
    ];
    const path = file('stories.ndjson', records.map((r) => JSON.stringify(r)).join('\n'));
    const { code, out, stories } = await run('--json', path);
    expect(code).toBe(0);
    const signals = out.map((line) => JSON.parse(line) as { eventId: string; story: string });
    const storyOf = Object.fromEntries(signals.map((s) => [s.eventId, s.story]));
    expect(storyOf.a2).toBe(storyOf.a1);
    expect(new Set([storyOf.a1, storyOf.b1, storyOf.a3]).size).toBe(3);
    const told = stories.map((line) => JSON.parse(line) as { id: string; signals: number; from: string; to: string });
    expect(told.map((s) => [s.id, s.signals, s.from, s.to]).sort()).toEqual(
      [
        [storyOf.a1, 2, '2026-11-01T10:00:00.000Z', '2026-11-01T13:00:00.000Z'],
        [storyOf.b1, 1, '2026-11-01T11:00:00.000Z', '2026-11-01T11:00:00.000Z'],
        [storyOf.a3, 1, '2026-11-02T13:00:00.000Z', '2026-11-02T13:00:00.000Z'],
      ].sort(),
    );
    // A table lists the stories last.
    const table = await run(path);
    expect(table.stories).toHaveLength(3);
    expect(table.stories[0]).toContain(storyOf.a1);
  });
});
