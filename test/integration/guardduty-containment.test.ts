import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { CreateKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { denySidFor } from '../../src/actions/deny-principal-in-key-policy';
import { quarantinePolicyName } from '../../src/actions/quarantine-principal';
import { viaEventBridge } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';
import { realRecords, record } from '../support/records';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; incidents?: Array<{ id: string; duplicate: boolean }> }>;
const account = '123456789012';
const user = `arn:aws:iam::${account}:user/mallory`;

/**
 * The aws-samples IAM finding (Recon:IAMUser/MaliciousIPCaller.Custom, bare), wrapped in its EventBridge envelope,
 * moved to the emulator's account and to a user and access key that exist there, sample flag removed. Each
 * re-publication has a later updatedAt and a higher count, as GuardDuty's do.
 */
const publication = (accessKeyId: string, n: number) => {
  const finding = realRecords('aws-samples-guardduty-automated-response.ndjson')[1] as {
    resource: object;
    service: object;
  };
  return {
    version: '0',
    id: `gd-delivery-${n}`,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account,
    time: `2026-11-28T1${n}:00:00Z`,
    region: 'us-east-1',
    resources: [],
    detail: {
      ...finding,
      accountId: account,
      region: 'us-east-1',
      severity: 8,
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      createdAt: '2026-11-28T10:00:00.000Z',
      updatedAt: `2026-11-28T1${n}:00:00.000Z`,
      resource: {
        ...finding.resource,
        accessKeyDetails: { accessKeyId, principalId: 'AIDAEXAMPLE', userName: 'mallory', userType: 'IAMUser' },
      },
      service: { ...finding.service, count: n, additionalInfo: {} },
    },
  };
};

describe('GuardDuty credential findings contained through the handlers, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let onFinding: Handler;
  let onKmsCall: Handler;

  beforeAll(async () => {
    stack = await provisionResponderStack('gd');
    moto.aws.useStack(stack);
    Object.assign(process.env, responderEnvironment(stack));
    ({ handler: onFinding } = (await moto.asFunction(
      'onSecurityFinding',
      () => import('../../handlers/on-security-finding'),
    )) as unknown as { handler: Handler });
    ({ handler: onKmsCall } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: Handler });
  });

  it('quarantines the user, denies it the keys it used, and keeps one incident however often the finding comes back', async () => {
    const iam = new IAMClient({});
    const kms = new KMSClient({});
    await iam.send(new CreateUserCommand({ UserName: 'mallory' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'mallory' }));
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'ledger' }));
    const { KeyMetadata: untouched } = await kms.send(new CreateKeyCommand({ Description: 'not used by mallory' }));

    // Earlier, the user decrypted with the ledger key: the activity function remembers it.
    const decrypt = record('Decrypt.iam-user');
    await onKmsCall(
      viaEventBridge({
        ...decrypt,
        eventID: 'mallory-decrypt',
        eventTime: '2026-11-27T09:00:00Z',
        recipientAccountId: account,
        awsRegion: 'us-east-1',
        userIdentity: {
          type: 'IAMUser',
          arn: user,
          accountId: account,
          accessKeyId: AccessKey!.AccessKeyId,
          userName: 'mallory',
        },
        resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: KeyMetadata!.Arn! }],
      }),
      localLambdaContext('onKmsActivity'),
    );

    const outcomes = [];
    for (const n of [1, 2, 3])
      outcomes.push(await onFinding(publication(AccessKey!.AccessKeyId!, n), localLambdaContext('onSecurityFinding')));

    expect(outcomes.map((o) => o.incidents?.[0]?.duplicate)).toEqual([false, true, true]);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'mallory' }))).PolicyNames).toEqual([
      quarantinePolicyName,
    ]);
    expect(
      (await iam.send(new ListAccessKeysCommand({ UserName: 'mallory' }))).AccessKeyMetadata!.map((k) => k.Status),
    ).toEqual(['Inactive']);
    const policyOf = async (keyId: string) =>
      JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!);
    expect((await policyOf(KeyMetadata!.KeyId!)).Statement.map((s: { Sid?: string }) => s.Sid)).toContain(
      denySidFor(user),
    );
    expect((await policyOf(untouched!.KeyId!)).Statement.map((s: { Sid?: string }) => s.Sid)).not.toContain(
      denySidFor(user),
    );

    const { Items = [] } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }));
    const incidents = Items.map((item) => unmarshall(item)).filter(
      (i) => String(i.pk).startsWith('INCIDENT#') && i.signal.detector === 'guardduty-credential-compromise',
    );
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      status: 'contained',
      occurrences: 2,
      lastSeenAt: expect.any(String),
      lastEvidence: { count: 3 },
    });
    expect(incidents[0]!.plan.map((s: { type: string; run: string }) => `${s.type}:${s.run}`)).toEqual([
      'quarantine-principal:automatic',
      'deny-principal-in-key-policy:automatic',
      'revoke-grants:automatic',
      'disable-key:approval',
    ]);
  });
});
