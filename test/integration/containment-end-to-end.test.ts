import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { denySidFor } from '../../src/actions/deny-principal-in-key-policy';
import { quarantinePolicyName } from '../../src/actions/quarantine-principal';
import { kmsApiCallRecord, viaEventBridge, type Caller } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';

const account = '123456789012';
const suspectRole = `arn:aws:iam::${account}:role/ci/ci-deployer`;
const attacker: Caller = { roleArn: suspectRole, sessionName: 'mallory' };
const admin: Caller = { roleArn: `arn:aws:iam::${account}:role/KeyAdmins`, sessionName: 'alice' };
type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; incidents?: Array<{ id: string; status: string }> }>;

describe('containment end to end: events through the handler, effects checked in moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let handler: Handler;
  let kms: KMSClient;
  let iam: IAMClient;
  let eventTime = Date.parse('2026-11-28T10:00:00Z');

  beforeAll(async () => {
    stack = await provisionResponderStack('contain');
    moto.aws.useStack(stack);
    Object.assign(process.env, responderEnvironment(stack, { keyAdministrators: [admin.roleArn] }));
    kms = new KMSClient({});
    iam = new IAMClient({});
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    await iam.send(new CreateRoleCommand({ RoleName: 'ci-deployer', Path: '/ci/', AssumeRolePolicyDocument: trust }));
    ({ handler } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: Handler });
  });

  const deliver = (
    eventName: string,
    keyArn: string,
    caller: Caller,
    requestParameters: Record<string, unknown>,
    responseElements: Record<string, unknown> = {},
  ) =>
    handler(
      viaEventBridge(
        kmsApiCallRecord({
          eventName,
          keyArn,
          caller,
          requestParameters,
          responseElements,
          eventTime: new Date((eventTime += 60_000)),
        }),
      ),
      localLambdaContext('onKmsApiCall'),
    );

  const newKey = async (tags: Record<string, string> = {}) => {
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) }),
    );
    return { keyArn: KeyMetadata!.Arn!, keyId: KeyMetadata!.KeyId! };
  };
  const policyOf = async (keyId: string) =>
    JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!);
  const stateOf = async (keyId: string) =>
    (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState;
  const quarantined = async () =>
    (await iam.send(new ListRolePoliciesCommand({ RoleName: 'ci-deployer' }))).PolicyNames ?? [];
  const incident = async (id: string) => {
    const { Items = [] } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }));
    return Items.map((item) => unmarshall(item)).find((item) => item.id === id)!;
  };

  /** The attacker really changes the policy in moto, then CloudTrail's record of it reaches the handler. */
  const attackerSetsPolicy = async (keyArn: string, keyId: string, policy: object) => {
    const text = JSON.stringify(policy);
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: text }));
    return deliver('PutKeyPolicy', keyArn, attacker, {
      keyId,
      policyName: 'default',
      policy: text,
      bypassPolicyLockoutSafetyCheck: false,
    });
  };
  const rootOnly = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Root',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
  const openToAll = {
    Version: '2012-10-17',
    Statement: [
      ...rootOnly.Statement,
      { Sid: 'Open', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  };
  const sharedOut = {
    Version: '2012-10-17',
    Statement: [
      ...rootOnly.Statement,
      {
        Sid: 'Share',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::999988887777:root' },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };

  it('puts back the policy a public PutKeyPolicy replaced, denies the suspect and quarantines its role, and only offers to disable the key', async () => {
    const { keyArn, keyId } = await newKey();
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(rootOnly) }));
    await deliver('PutKeyPolicy', keyArn, admin, { keyId, policyName: 'default', policy: JSON.stringify(rootOnly) });

    const outcome = await attackerSetsPolicy(keyArn, keyId, openToAll);

    const policy = await policyOf(keyId);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Root', denySidFor(suspectRole)]);
    expect(await quarantined()).toEqual([quarantinePolicyName]);
    expect(await stateOf(keyId)).toBe('Enabled');
    const [public_] = outcome.incidents!.filter((i) => i.status === 'contained');
    const stored = await incident(public_!.id);
    expect(stored.plan.map((s: { type: string; run: string }) => `${s.type}:${s.run}`)).toEqual([
      'restore-key-policy:automatic',
      'deny-principal-in-key-policy:automatic',
      'revoke-grants:automatic',
      'quarantine-principal:automatic',
      'disable-key:approval',
    ]);
    expect(stored.results.at(-1)).toEqual({
      outcome: 'not-run',
      reason: 'disabling a key stops every workload that uses it: a person decides',
    });
  });

  it('revokes a grant the suspect gave another account', async () => {
    const { keyArn, keyId } = await newKey();
    const { GrantId } = await kms.send(
      new CreateGrantCommand({
        KeyId: keyId,
        GranteePrincipal: 'arn:aws:iam::999988887777:role/exfil',
        Operations: ['Decrypt'],
      }),
    );

    await deliver(
      'CreateGrant',
      keyArn,
      attacker,
      { keyId, granteePrincipal: 'arn:aws:iam::999988887777:role/exfil', operations: ['Decrypt'] },
      { grantId: GrantId },
    );

    expect((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants ?? []).toEqual([]);
  });

  it('disables a key in lockdown mode', async () => {
    const { keyArn, keyId } = await newKey({ 'kms-warden:mode': 'lockdown' });
    await attackerSetsPolicy(keyArn, keyId, sharedOut);
    expect(await stateOf(keyId)).toBe('Disabled');
  });

  it('does not disable a protected key, even in lockdown, and offers it instead', async () => {
    const { keyArn, keyId } = await newKey({ 'kms-warden:mode': 'lockdown', 'kms-warden:protected': 'true' });
    const outcome = await attackerSetsPolicy(keyArn, keyId, sharedOut);
    expect(await stateOf(keyId)).toBe('Enabled');
    const stored = await incident(outcome.incidents![0]!.id);
    expect(stored.plan.at(-1)).toMatchObject({
      type: 'disable-key',
      run: 'approval',
      why: 'the key is protected: never disabled automatically',
    });
  });

  it('only reports, in observe mode a key administrator set', async () => {
    const { keyArn, keyId } = await newKey({ 'kms-warden:mode': 'observe' });
    // Observe is weaker than the default: it counts only as a key administrator's setting, journaled from its event.
    await deliver('CreateKey', keyArn, admin, { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] });
    await attackerSetsPolicy(keyArn, keyId, sharedOut);
    expect((await policyOf(keyId)).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Root', 'Share']);
    expect(await stateOf(keyId)).toBe('Enabled');
  });

  it('does not take observe from a tag no key administrator set', async () => {
    const { keyArn, keyId } = await newKey({ 'kms-warden:mode': 'observe' });
    await attackerSetsPolicy(keyArn, keyId, sharedOut);
    expect((await policyOf(keyId)).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'Root',
      denySidFor(suspectRole),
    ]);
  });
});
