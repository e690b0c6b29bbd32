import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListKeysCommand,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AccountSetup,
  recordingSelectors,
  selectorProblems,
  type TrailSelectors,
} from '../../../src/aws/account-setup';
import { defaultStage, detectionRules, doctorCommand, doctorUsage } from '../../../src/cli/doctor-command';
import { main } from '../../../src/cli/main';
import { loadServerlessDefinition, type ServerlessDefinition } from '../../../src/local/stack-definition';
import { captured } from '../../support/captured-io';

/**
 * What moto cannot show (test/integration/doctor-cli.test.ts): refused calls, paging, replicas, the selector logic in
 * full.
 */

const accessDenied = (action: string) =>
  Object.assign(new Error(`User: arn:aws:iam::111122223333:user/dev is not authorized to perform: ${action}`), {
    name: 'AccessDeniedException',
    $metadata: { httpStatusCode: 400 },
  });

describe('kms-warden doctor usage', () => {
  it('prints its usage with --help', async () => {
    const run = captured();
    expect(await doctorCommand(['--help'], run.io)).toBe(0);
    expect(run.out).toEqual([doctorUsage]);
    expect(doctorUsage.split('\n')[0]).toBe('Usage: kms-warden doctor [--stage STAGE] [--region R] [--json]');
    for (const action of AccountSetup.iamActions) expect(doctorUsage).toContain(action.split(':')[1]);
  });

  it.each([
    [['--verbose'], /^kms-warden doctor: Unknown option '--verbose'/],
    [['extra'], /^kms-warden doctor: Unexpected argument 'extra'/],
    [['--stage'], /^kms-warden doctor: Option '--stage <value>' argument missing/],
    [['--stage', 'prod/1'], /^kms-warden doctor: --stage takes letters, digits and hyphens, not "prod\/1"/],
    // --region is every command's: the CLI checks it before the command runs.
    [
      ['--region', 'Europe'],
      /^kms-warden: --region takes a Region name such as eu-west-1, not "Europe"\. See kms-warden --help\.$/,
    ],
  ])('refuses %j with exit code 2 before calling AWS', async (argv, message) => {
    const run = captured();
    expect(await main(['doctor', ...argv], run.io)).toBe(2);
    expect(run.err).toEqual([expect.stringMatching(message)]);
    expect(run.out).toEqual([]);
  });
});

describe("kms-warden's rules, from serverless.yml", () => {
  it('names every detection rule of the stage with the state it is deployed in', () => {
    const definition = loadServerlessDefinition();
    expect(defaultStage(definition)).toBe('dev');
    const activity = (name: string, description: string) => ({
      name: `kms-warden-prod-key-activity-${name}`,
      state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      description,
    });
    expect(detectionRules(definition, 'prod')).toEqual([
      { name: 'kms-warden-prod-key-lifecycle', state: 'ENABLED', patternFile: 'rules/kms-key-lifecycle.json' },
      {
        name: 'kms-warden-prod-guardduty-credential-findings',
        state: 'ENABLED',
        patternFile: 'rules/guardduty-credential-findings.json',
      },
      {
        name: 'kms-warden-prod-config-kms-compliance',
        state: 'ENABLED',
        patternFile: 'rules/config-kms-compliance.json',
      },
      // The activity rules: a pattern each, made from kms-key-activity.json (rules/activity-stream.cjs), not a file.
      activity(
        'by-role',
        "KMS cryptographic and read-only calls by roles' sessions, less those AWS services make for customers (errors kept)",
      ),
      activity(
        'by-principal',
        "KMS cryptographic and read-only calls by IAM users, root and other accounts' principals (errors kept)",
      ),
      activity('unnamed', 'KMS cryptographic and read-only calls that name no principal (errors kept)'),
      {
        name: 'kms-warden-prod-s3-object-kms-key',
        state: 'ENABLED',
        patternFile: 'rules/s3-object-kms-key.json',
        description:
          'S3 writes whose request or response names a KMS key, and bucket default encryption set to a KMS key',
      },
    ]);
  });

  it('refuses a rule name it cannot resolve rather than checking a wrong name', () => {
    const definition = {
      service: 'kms-warden',
      functions: { f: { events: [{ eventBridge: { name: '${self:custom.prefix}-rule', pattern: {} } }] } },
      resources: { Resources: {} },
    } as ServerlessDefinition;
    expect(() => detectionRules(definition, 'prod')).toThrow(
      'serverless.yml: cannot resolve "${self:custom.prefix}-rule" (functions.f.events[0].eventBridge)',
    );
  });
});

describe('which trail selectors record KMS management events, read-only and write', () => {
  const classic = (...selectors: TrailSelectors['classic']): TrailSelectors => ({ classic: selectors, advanced: [] });
  const advanced = (
    ...fieldLists: NonNullable<TrailSelectors['advanced'][number]['FieldSelectors']>[]
  ): TrailSelectors => ({
    classic: [],
    advanced: fieldLists.map((FieldSelectors, i) => ({ Name: `s${i}`, FieldSelectors })),
  });
  const management = { Field: 'eventCategory', Equals: ['Management'] };

  it.each<[string, TrailSelectors, string[]]>([
    [
      'classic, all management events',
      classic({ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [] }),
      [],
    ],
    [
      'classic, read-only and write-only selectors together',
      classic(
        { ReadWriteType: 'ReadOnly', IncludeManagementEvents: true },
        { ReadWriteType: 'WriteOnly', IncludeManagementEvents: true },
      ),
      [],
    ],
    [
      'classic, another source excluded',
      classic({
        ReadWriteType: 'All',
        IncludeManagementEvents: true,
        ExcludeManagementEventSources: ['rdsdata.amazonaws.com'],
      }),
      [],
    ],
    [
      'classic, KMS excluded',
      classic({
        ReadWriteType: 'All',
        IncludeManagementEvents: true,
        ExcludeManagementEventSources: ['kms.amazonaws.com'],
      }),
      ['excludes kms.amazonaws.com'],
    ],
    [
      'classic, write-only',
      classic({ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }),
      ['records only write management events'],
    ],
    [
      'classic, read-only and KMS excluded',
      classic({
        ReadWriteType: 'ReadOnly',
        IncludeManagementEvents: true,
        ExcludeManagementEventSources: ['kms.amazonaws.com'],
      }),
      ['excludes kms.amazonaws.com', 'records only read-only management events'],
    ],
    [
      'classic, data events only',
      classic({
        ReadWriteType: 'All',
        IncludeManagementEvents: false,
        DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }],
      }),
      ['records no management events'],
    ],
    ['no selectors', classic(), ['records no management events']],
    ['advanced, all management events', advanced([management]), []],
    [
      'advanced, another source excluded',
      advanced([management, { Field: 'eventSource', NotEquals: ['rdsdata.amazonaws.com'] }]),
      [],
    ],
    [
      'advanced, KMS excluded',
      advanced([management, { Field: 'eventSource', NotEquals: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'] }]),
      ['excludes kms.amazonaws.com'],
    ],
    [
      'advanced, read-only only',
      advanced([management, { Field: 'readOnly', Equals: ['true'] }]),
      ['records only read-only management events'],
    ],
    [
      'advanced, reads and writes in two selectors',
      advanced(
        [management, { Field: 'readOnly', Equals: ['true'] }],
        [management, { Field: 'readOnly', Equals: ['false'] }],
      ),
      [],
    ],
    [
      'advanced, data events only',
      advanced([
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
      ]),
      ['records no management events'],
    ],
  ])('%s', (_case, selectors, problems) => {
    expect(selectorProblems(selectors)).toEqual(problems);
  });

  it('puts back data event selectors unchanged, and other exclusions every management selector had', () => {
    const s3Objects = [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::bucket/'] }];
    expect(
      JSON.parse(
        recordingSelectors(
          classic(
            {
              ReadWriteType: 'WriteOnly',
              IncludeManagementEvents: true,
              ExcludeManagementEventSources: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'],
              DataResources: s3Objects,
            },
            {
              ReadWriteType: 'ReadOnly',
              IncludeManagementEvents: true,
              ExcludeManagementEventSources: ['rdsdata.amazonaws.com'],
            },
          ),
        ).json,
      ),
    ).toEqual([
      { ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: ['rdsdata.amazonaws.com'] },
      { ReadWriteType: 'WriteOnly', IncludeManagementEvents: false, DataResources: s3Objects },
    ]);
  });
});

describe('AccountSetup, when AWS refuses or pages', () => {
  const region = 'us-east-1';
  const east = new CloudTrailClient({ region });
  const west = new CloudTrailClient({ region: 'us-west-2' });
  const cloudTrailEast = mockClient(east);
  const cloudTrailWest = mockClient(west);
  const events = mockClient(EventBridgeClient);
  const kms = mockClient(KMSClient);
  const setup = new AccountSetup(
    {
      cloudTrail: (r) => (r === 'us-west-2' ? west : east),
      events: () => new EventBridgeClient({ region }),
      kms: () => new KMSClient({ region }),
    },
    region,
  );
  const centralTrail = {
    Name: 'central',
    TrailARN: 'arn:aws:cloudtrail:us-west-2:111122223333:trail/central',
    HomeRegion: 'us-west-2',
    IsMultiRegionTrail: true,
  };
  const key = (id: string, overrides: Partial<KeyMetadata> = {}): KeyMetadata => ({
    KeyId: id,
    Arn: `arn:aws:kms:us-east-1:111122223333:key/${id}`,
    KeyManager: 'CUSTOMER',
    KeySpec: 'SYMMETRIC_DEFAULT',
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    ...overrides,
  });

  beforeEach(() => [cloudTrailEast, cloudTrailWest, events, kms].forEach((mock) => mock.reset()));

  it('fails the CloudTrail check naming cloudtrail:DescribeTrails when it may not list trails', async () => {
    cloudTrailEast.on(DescribeTrailsCommand).rejects(accessDenied('cloudtrail:DescribeTrails'));
    expect(await setup.cloudTrail()).toEqual({
      check: 'cloudtrail',
      ok: false,
      detail: 'cannot list trails: access denied (needs cloudtrail:DescribeTrails)',
      fix: 'allow cloudtrail:DescribeTrails for the identity running kms-warden doctor, then run it again',
    });
  });

  it('reads a trail in its home Region by ARN, and names the permission when its selectors are refused', async () => {
    cloudTrailEast.on(DescribeTrailsCommand).resolves({ trailList: [centralTrail] });
    cloudTrailWest.on(GetTrailStatusCommand, { Name: centralTrail.TrailARN }).resolves({ IsLogging: true });
    cloudTrailWest.on(GetEventSelectorsCommand).rejects(accessDenied('cloudtrail:GetEventSelectors'));

    expect(await setup.cloudTrail()).toEqual({
      check: 'cloudtrail',
      ok: false,
      detail:
        'no trail records KMS management events in us-east-1: trail central cannot be read (event selectors: access denied (needs cloudtrail:GetEventSelectors))',
      fix: 'allow cloudtrail:GetEventSelectors for the identity running kms-warden doctor, then run it again',
    });
    expect(cloudTrailEast).toHaveReceivedCommandWith(DescribeTrailsCommand, { includeShadowTrails: true });
    expect(cloudTrailWest).toHaveReceivedCommandWith(GetEventSelectorsCommand, { TrailName: centralTrail.TrailARN });
    expect(cloudTrailEast).not.toHaveReceivedCommand(GetEventSelectorsCommand);
  });

  it('fails a rule check naming events:DescribeRule when it may not read the rule', async () => {
    events.on(DescribeRuleCommand).rejects(accessDenied('events:DescribeRule'));
    expect(await setup.eventBridgeRules([{ name: 'kms-warden-prod-key-lifecycle', state: 'ENABLED' }], 'prod')).toEqual(
      [
        {
          check: 'eventbridge',
          ok: false,
          detail: 'cannot read rule kms-warden-prod-key-lifecycle: access denied (needs events:DescribeRule)',
          fix: 'allow events:DescribeRule for the identity running kms-warden doctor, then run it again',
        },
      ],
    );
  });

  it('fails the rotation check naming kms:ListKeys when it may not list keys', async () => {
    kms.on(ListKeysCommand).rejects(accessDenied('kms:ListKeys'));
    expect(await setup.keyRotation()).toEqual([
      {
        check: 'key-rotation',
        ok: false,
        detail: 'cannot list keys in us-east-1: access denied (needs kms:ListKeys)',
        fix: 'allow kms:ListKeys for the identity running kms-warden doctor, then run it again',
      },
    ]);
  });

  it('pages through ListKeys, skips keys rotation does not apply to, sends a replica to its primary and names a refused key', async () => {
    kms
      .on(ListKeysCommand)
      .resolvesOnce({
        Keys: [{ KeyArn: key('rotating').Arn }, { KeyArn: key('imported').Arn }],
        Truncated: true,
        NextMarker: 'page-2',
      })
      .resolvesOnce({
        Keys: [{ KeyArn: key('mrk-replica').Arn }, { KeyArn: key('aws-managed').Arn }, { KeyArn: key('locked').Arn }],
        Truncated: false,
      });
    kms.on(DescribeKeyCommand, { KeyId: key('rotating').Arn }).resolves({ KeyMetadata: key('rotating') });
    kms
      .on(DescribeKeyCommand, { KeyId: key('imported').Arn })
      .resolves({ KeyMetadata: key('imported', { Origin: 'EXTERNAL' }) });
    kms
      .on(DescribeKeyCommand, { KeyId: key('aws-managed').Arn })
      .resolves({ KeyMetadata: key('aws-managed', { KeyManager: 'AWS' }) });
    kms.on(DescribeKeyCommand, { KeyId: key('mrk-replica').Arn }).resolves({
      KeyMetadata: key('mrk-replica', {
        MultiRegion: true,
        MultiRegionConfiguration: {
          MultiRegionKeyType: 'REPLICA',
          PrimaryKey: { Arn: 'arn:aws:kms:eu-west-1:111122223333:key/mrk-replica', Region: 'eu-west-1' },
        },
      }),
    });
    kms.on(DescribeKeyCommand, { KeyId: key('locked').Arn }).rejects(accessDenied('kms:DescribeKey'));
    kms.on(GetKeyRotationStatusCommand, { KeyId: key('rotating').Arn }).resolves({ KeyRotationEnabled: true });
    kms.on(GetKeyRotationStatusCommand, { KeyId: key('mrk-replica').Arn }).resolves({ KeyRotationEnabled: false });

    expect(await setup.keyRotation()).toEqual([
      {
        check: 'key-rotation',
        ok: true,
        detail: '1 enabled customer-managed symmetric key rotates automatically in us-east-1',
      },
      {
        check: 'key-rotation',
        ok: false,
        detail: `key ${key('mrk-replica').Arn} has automatic rotation off (a replica: rotation is set on its primary)`,
        fix: 'aws kms enable-key-rotation --key-id arn:aws:kms:eu-west-1:111122223333:key/mrk-replica --region eu-west-1',
      },
      {
        check: 'key-rotation',
        ok: false,
        detail: `cannot read key ${key('locked').Arn}: access denied (needs kms:DescribeKey)`,
        fix: 'allow kms:DescribeKey for the identity running kms-warden doctor, then run it again',
      },
    ]);
    expect(kms).toHaveReceivedNthCommandWith(2, ListKeysCommand, { Marker: 'page-2' });
    expect(kms).toHaveReceivedCommandTimes(GetKeyRotationStatusCommand, 2);
  });

  it('rethrows an error that is not a refusal (main reports it and exits 1)', async () => {
    kms
      .on(ListKeysCommand)
      .rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      );
    await expect(setup.keyRotation()).rejects.toThrow('Rate exceeded');
  });
});
