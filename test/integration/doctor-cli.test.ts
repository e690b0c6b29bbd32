import {
  CloudTrailClient,
  CreateTrailCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
  type PutEventSelectorsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, type RuleState } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, DisableKeyCommand, EnableKeyRotationCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { main } from '../../src/cli/main';
import { useMoto } from '../support/moto';
import { captured } from '../support/captured-io';

/**
 * kms-warden doctor against moto. What moto lacks, found by experiment (moto 5.2.1):
 * - a new trail has no event selectors (AWS gives it one: ReadWriteType All with management events), so every
 *   trail here gets its selectors with PutEventSelectors;
 * - IAM is not enforced, so missing permissions (AccessDenied) are tested with mocks in test/unit/cli/doctor.test.ts;
 * - ListKeys ignores Limit and never pages, and EnableKeyRotation accepts replica keys: paging and the replica's
 *   fix (on its primary) are tested there too.
 * moto does keep ExcludeManagementEventSources and advanced event selectors, and shows multi-Region trails based
 * in other Regions (shadow trails) in DescribeTrails, so those are tested here.
 */

const region = 'us-east-1';
const stage = 'doctor';
const rule = (name: string) => `kms-warden-${stage}-${name}`;
/** The rules serverless.yml deploys, in the order doctor checks them, and the state each needs. */
const expectedRules: Array<[name: string, state: RuleState]> = [
  ['key-lifecycle', 'ENABLED'],
  ['guardduty-credential-findings', 'ENABLED'],
  ['config-kms-compliance', 'ENABLED'],
  ['key-activity-by-role', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'],
  ['key-activity-by-principal', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'],
  ['key-activity-unnamed', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'],
  ['s3-object-kms-key', 'ENABLED'],
];
const allManagementEvents = [{ ReadWriteType: 'All' as const, IncludeManagementEvents: true }];

const doctor = async (...argv: string[]) => {
  const run = captured();
  const code = await main(['doctor', '--stage', stage, ...argv], run.io);
  return { code, out: run.out, err: run.err };
};

describe('kms-warden doctor, against moto', () => {
  const moto = useMoto();
  const cloudTrailIn = (r: string) => new CloudTrailClient({ region: r });
  const events = () => new EventBridgeClient({ region });
  const kms = () => new KMSClient({ region });

  const trail = async (
    name: string,
    options: {
      home?: string;
      multiRegion?: boolean;
      logging?: boolean;
      selectors?: Omit<PutEventSelectorsCommandInput, 'TrailName'>;
    } = {},
  ) => {
    const cloudTrail = cloudTrailIn(options.home ?? region);
    await cloudTrail.send(
      new CreateTrailCommand({
        Name: name,
        S3BucketName: 'kms-warden-doctor-trail',
        IsMultiRegionTrail: options.multiRegion ?? true,
      }),
    );
    await cloudTrail.send(
      new PutEventSelectorsCommand({
        TrailName: name,
        ...(options.selectors ?? { EventSelectors: allManagementEvents }),
      }),
    );
    if (options.logging ?? true) await cloudTrail.send(new StartLoggingCommand({ Name: name }));
  };

  const putRule = (name: string, state: RuleState) =>
    events().send(
      new PutRuleCommand({ Name: rule(name), State: state, EventPattern: JSON.stringify({ source: ['aws.kms'] }) }),
    );

  const allRules = async () => {
    for (const [name, state] of expectedRules) await putRule(name, state);
  };

  const key = async (options: { rotating: boolean }) => {
    const { KeyMetadata } = await kms().send(new CreateKeyCommand({ Description: 'doctor test key' }));
    if (options.rotating) await kms().send(new EnableKeyRotationCommand({ KeyId: KeyMetadata!.KeyId }));
    return KeyMetadata!;
  };

  /** Does what a printed put-event-selectors fix says, through the SDK: the fix is checked by the doctor itself. */
  const applySelectorsFix = async (fixLine: string) => {
    const [, trailName, home, option, json] =
      /--trail-name (\S+) --region (\S+) --(event-selectors|advanced-event-selectors) '(.*)'$/.exec(fixLine)!;
    const selectors = JSON.parse(json!);
    await cloudTrailIn(home!).send(
      new PutEventSelectorsCommand({
        TrailName: trailName,
        ...(option === 'event-selectors' ? { EventSelectors: selectors } : { AdvancedEventSelectors: selectors }),
      }),
    );
  };

  const rulesOk = expectedRules.map(([name, state]) => `ok   eventbridge: rule ${rule(name)} is ${state}`);
  const trailOk =
    'ok   cloudtrail: trail org-trail (multi-Region) is logging read-only and write management events from kms.amazonaws.com';

  beforeEach(async () => {
    await moto.aws.reset();
    await new S3Client({ region, forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: 'kms-warden-doctor-trail' }),
    );
  });

  it('passes every check when the trail, the rules and key rotation are set up, ignoring keys rotation does not apply to', async () => {
    // Prepare
    await trail('org-trail');
    await allRules();
    await key({ rotating: true });
    await key({ rotating: true });
    const disabled = await key({ rotating: false });
    await kms().send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
    await kms().send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    // Act
    const { code, out, err } = await doctor();
    // Assess
    expect(out).toEqual([
      trailOk,
      ...rulesOk,
      'ok   key-rotation: 2 enabled customer-managed symmetric keys rotate automatically in us-east-1',
    ]);
    expect(err).toEqual([`kms-warden doctor: ${expectedRules.length + 2} ok, 0 to fix (stage doctor, us-east-1)`]);
    expect(code).toBe(0);
  });

  it('asks for a multi-Region trail when no trail logs this Region (a single-Region trail elsewhere does not)', async () => {
    await trail('west-only', { home: 'us-west-2', multiRegion: false });
    await allRules();

    const { code, out } = await doctor();

    expect(out.slice(0, 2)).toEqual([
      'FIX  cloudtrail: no trail records management events in us-east-1: create a multi-Region trail (BUCKET: an S3 bucket whose policy lets CloudTrail write)',
      '     aws cloudtrail create-trail --name kms-warden-trail --s3-bucket-name BUCKET --is-multi-region-trail --region us-east-1 && aws cloudtrail start-logging --name kms-warden-trail --region us-east-1',
    ]);
    expect(out.slice(2)).toEqual([
      ...rulesOk,
      'ok   key-rotation: no enabled customer-managed symmetric keys in us-east-1',
    ]);
    expect(code).toBe(1);
  });

  it('flags a trail whose classic selectors exclude kms.amazonaws.com, and puts back the selectors without that exclusion', async () => {
    await trail('org-trail', {
      selectors: {
        EventSelectors: [
          {
            ReadWriteType: 'All',
            IncludeManagementEvents: true,
            ExcludeManagementEventSources: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'],
          },
        ],
      },
    });
    await allRules();

    const { code, out } = await doctor();

    expect(out.slice(0, 2)).toEqual([
      'FIX  cloudtrail: no trail records KMS management events in us-east-1: trail org-trail excludes kms.amazonaws.com',
      `     aws cloudtrail put-event-selectors --trail-name org-trail --region us-east-1 --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true,"ExcludeManagementEventSources":["rdsdata.amazonaws.com"]}]'`,
    ]);
    expect(code).toBe(1);

    await applySelectorsFix(out[1]!);
    expect((await doctor()).out[0]).toBe(trailOk);
  });

  it('reads a multi-Region trail based in another Region there: stopped, advanced selectors excluding KMS', async () => {
    await trail('central', {
      home: 'us-west-2',
      logging: false,
      selectors: {
        AdvancedEventSelectors: [
          {
            Name: 'mgmt',
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'eventSource', NotEquals: ['kms.amazonaws.com'] },
            ],
          },
          {
            Name: 'objects',
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Data'] },
              { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
            ],
          },
        ],
      },
    });
    await allRules();

    const { code, out } = await doctor();

    expect(out.slice(0, 2)).toEqual([
      'FIX  cloudtrail: no trail records KMS management events in us-east-1: trail central is not logging and excludes kms.amazonaws.com',
      '     aws cloudtrail start-logging --name central --region us-west-2 && ' +
        `aws cloudtrail put-event-selectors --trail-name central --region us-west-2 --advanced-event-selectors '[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"Name":"objects","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]'`,
    ]);
    expect(code).toBe(1);

    await applySelectorsFix(out[1]!);
    await cloudTrailIn('us-west-2').send(new StartLoggingCommand({ Name: 'central' }));
    const fixed = await doctor();
    expect(fixed.out[0]).toBe(
      'ok   cloudtrail: trail central (multi-Region) is logging read-only and write management events from kms.amazonaws.com',
    );
    expect(fixed.code).toBe(0);
  });

  it('is satisfied by one good trail among bad ones, and flags a trail recording only writes', async () => {
    await trail('writes-only', {
      selectors: { EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }] },
    });
    expect((await doctor()).out[0]).toBe(
      'FIX  cloudtrail: no trail records KMS management events in us-east-1: trail writes-only records only write management events',
    );

    await trail('org-trail');
    expect((await doctor()).out[0]).toBe(trailOk);
  });

  it('names the missing rules and the rules in the wrong state, with the command that fixes each', async () => {
    await trail('org-trail');
    await putRule('key-lifecycle', 'ENABLED');
    await putRule('guardduty-credential-findings', 'DISABLED');
    await putRule('key-activity-by-role', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    await putRule('key-activity-by-principal', 'ENABLED');
    await putRule('key-activity-unnamed', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    await putRule('s3-object-kms-key', 'ENABLED');
    await putRule('config-kms-compliance', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');

    const { code, out, err } = await doctor();

    const deploy = '     npx serverless deploy --stage doctor --region us-east-1';
    expect(out).toEqual([
      trailOk,
      `ok   eventbridge: rule ${rule('key-lifecycle')} is ENABLED`,
      `FIX  eventbridge: rule ${rule('guardduty-credential-findings')} is DISABLED, needs ENABLED`,
      `     aws events enable-rule --name ${rule('guardduty-credential-findings')} --region us-east-1`,
      `FIX  eventbridge: rule ${rule('config-kms-compliance')} is ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, needs ENABLED`,
      `     aws events enable-rule --name ${rule('config-kms-compliance')} --region us-east-1`,
      `ok   eventbridge: rule ${rule('key-activity-by-role')} is ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`,
      // Its pattern is made from rules/kms-key-activity.json at deploy: the deploy puts it back whole.
      `FIX  eventbridge: rule ${rule('key-activity-by-principal')} is ENABLED, needs ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (only then do read-only management events such as Decrypt reach it)`,
      deploy,
      `ok   eventbridge: rule ${rule('key-activity-unnamed')} is ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`,
      `ok   eventbridge: rule ${rule('s3-object-kms-key')} is ENABLED`,
      'ok   key-rotation: no enabled customer-managed symmetric keys in us-east-1',
    ]);
    expect(err).toEqual(['kms-warden doctor: 6 ok, 3 to fix (stage doctor, us-east-1)']);
    expect(code).toBe(1);

    // A missing rule is put back by a deploy.
    await events().send(new DeleteRuleCommand({ Name: rule('s3-object-kms-key') }));
    expect((await doctor()).out).toEqual(
      expect.arrayContaining([`FIX  eventbridge: rule ${rule('s3-object-kms-key')} does not exist`, deploy]),
    );
  });

  it('lists each key without automatic rotation with its enable-key-rotation command, also as JSON', async () => {
    await trail('org-trail');
    await allRules();
    await key({ rotating: true });
    const unrotated = await key({ rotating: false });

    const text = await doctor();
    expect(text.out.slice(-3)).toEqual([
      'ok   key-rotation: 1 enabled customer-managed symmetric key rotates automatically in us-east-1',
      `FIX  key-rotation: key ${unrotated.Arn} has automatic rotation off`,
      `     aws kms enable-key-rotation --key-id ${unrotated.KeyId} --region us-east-1`,
    ]);
    expect(text.code).toBe(1);

    const json = await doctor('--json');
    expect(json.out.map((line) => JSON.parse(line))).toEqual([
      { check: 'cloudtrail', ok: true, detail: trailOk.replace('ok   cloudtrail: ', '') },
      ...rulesOk.map((line) => ({ check: 'eventbridge', ok: true, detail: line.replace('ok   eventbridge: ', '') })),
      {
        check: 'key-rotation',
        ok: true,
        detail: '1 enabled customer-managed symmetric key rotates automatically in us-east-1',
      },
      {
        check: 'key-rotation',
        ok: false,
        detail: `key ${unrotated.Arn} has automatic rotation off`,
        fix: `aws kms enable-key-rotation --key-id ${unrotated.KeyId} --region us-east-1`,
      },
    ]);
    expect(json.code).toBe(1);

    // Fixed as told, the doctor is satisfied.
    await kms().send(new EnableKeyRotationCommand({ KeyId: unrotated.KeyId }));
    expect((await doctor()).code).toBe(0);
  });

  it('checks the Region given with --region, and says so', async () => {
    await trail('org-trail');
    await allRules();

    const { code, out, err } = await doctor('--region', 'eu-west-1');

    expect(out[0]).toBe(trailOk);
    expect(out.filter((line) => line.startsWith('FIX'))).toEqual(
      expectedRules.map(([name]) => `FIX  eventbridge: rule ${rule(name)} does not exist`),
    );
    expect(out.filter((line) => line.startsWith(' '))).toEqual(
      expectedRules.map(() => '     npx serverless deploy --stage doctor --region eu-west-1'),
    );
    expect(err).toEqual([`kms-warden doctor: 2 ok, ${expectedRules.length} to fix (stage doctor, eu-west-1)`]);
    expect(code).toBe(1);
  });
});
