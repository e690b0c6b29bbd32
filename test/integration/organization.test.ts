import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { memberTemplateOfRepository } from '../../src/local/member-template-source';
import { CreateRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { quarantinePolicyName } from '../../src/actions/quarantine-principal';
import { kmsApiCallRecord, viaEventBridge, type Caller } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import { testAccount, type MemberAccount } from '../support/strict-aws/harness';
import { useMoto } from '../support/moto';
import { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { rekeyDepsOfRun } from '../../src/composition/rekey';
import { loadConfig } from '../../src/config';
import { LocalRekeyWorkflow } from '../../src/local/local-rekey-workflow';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; incidents?: Array<{ id: string; status: string; duplicate: boolean }> }>;

const outsider = '999988887777';
const member = memberTemplateOfRepository();

describe('organization mode: one responder, three accounts, against moto', () => {
  // sandbox: a member account the member StackSet has not reached yet.
  const moto = useMoto({ organization: ['payments', 'analytics', 'sandbox'] });
  let stack: ResponderStack;
  let onKmsCall: Handler;
  let onFinding: Handler;
  let payments: MemberAccount;
  let analytics: MemberAccount;
  let sandbox: MemberAccount;
  const kmsIn = (account: MemberAccount) => new KMSClient(moto.aws.memberClient(account.account));
  const iamIn = (account: MemberAccount) => new IAMClient(moto.aws.memberClient(account.account));
  const memberSessionsOf = (account: string) =>
    moto.aws.proxy.seen.filter((call) =>
      call.who.startsWith(`function member role arn:aws:iam::${account}:role/kms-warden/kms-warden-member-test`),
    );

  beforeAll(async () => {
    [payments, analytics, sandbox] = moto.aws.organization!.members as [MemberAccount, MemberAccount, MemberAccount];
    stack = await provisionResponderStack('org');
    moto.aws.useStack(stack);
    Object.assign(process.env, responderEnvironment(stack));
    for (const account of [payments, analytics]) await moto.aws.deployMemberRole(account.account, member);
    ({ handler: onKmsCall } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: Handler });
    ({ handler: onFinding } = (await moto.asFunction(
      'onSecurityFinding',
      () => import('../../handlers/on-security-finding'),
    )) as unknown as { handler: Handler });
  });

  const attackerIn = async (account: MemberAccount, name: string): Promise<Caller> => {
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: account.account }, Action: 'sts:AssumeRole' }],
    };
    const { Role } = await iamIn(account).send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    return { roleArn: Role!.Arn!, sessionName: 'mallory' };
  };

  /** CloudTrail's record of a ScheduleKeyDeletion with the shortest window, as EventBridge delivers it. */
  const deletionScheduled = (keyArn: string, caller: Caller) =>
    viaEventBridge(
      kmsApiCallRecord({
        eventName: 'ScheduleKeyDeletion',
        keyArn,
        caller,
        requestParameters: { keyId: keyArn, pendingWindowInDays: 7 },
        responseElements: { keyId: keyArn, keyState: 'PendingDeletion', pendingWindowInDays: 7 },
      }),
    );

  const incidentsOf = async (detector: string) => {
    const { Items = [] } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }));
    return Items.map((item) => unmarshall(item)).filter(
      (item) => String(item.pk).startsWith('INCIDENT#') && item.signal?.detector === detector,
    );
  };

  it('undoes a deletion in member account B in B, through the member role, and changes nothing in its own account', async () => {
    const kms = kmsIn(payments);
    const attacker = await attackerIn(payments, 'ci-deployer');
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'payments ledger' }));
    const keyArn = KeyMetadata!.Arn!;
    expect(keyArn).toContain(`:${payments.account}:key/`);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId!, PendingWindowInDays: 7 }));

    const outcome = await onKmsCall(deletionScheduled(keyArn, attacker), localLambdaContext('onKmsApiCall'));

    expect(outcome.incidents?.[0]?.status).toBe('contained');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('Enabled');
    // The key is B's: the central account has no such key, and changed nothing of its own.
    const centralKeys = (await new KMSClient({}).send(new ListKeysCommand({}))).Keys ?? [];
    expect(centralKeys.map((key) => key.KeyId)).not.toContain(KeyMetadata!.KeyId);
    const inB = memberSessionsOf(payments.account).map((call) => call.operation);
    expect(inB).toEqual(expect.arrayContaining(['kms:CancelKeyDeletion', 'kms:EnableKey']));
    // Refused nothing on the way: the member role holds what containment needs.
    expect(memberSessionsOf(payments.account).filter((call) => call.outcome !== 'forwarded')).toEqual([]);
    const centralKms = moto.aws.proxy.seen.filter(
      (call) => call.who === 'function onKmsApiCall' && call.operation.startsWith('kms:'),
    );
    expect(centralKms).toEqual([]);
    // The sessions it opened in B say kms-warden and the incident.
    const assumed = moto.aws.proxy.seen.filter((call) => call.operation === 'sts:AssumeRole');
    expect(assumed.every((call) => call.outcome === 'forwarded')).toBe(true);
    const [incident] = await incidentsOf('key-deletion-scheduled');
    expect(incident).toMatchObject({ keyArn, status: 'contained' });
  });

  it('revokes a grant to an account outside the organization and keeps one to a member account', async () => {
    const kms = kmsIn(payments);
    const attacker = await attackerIn(payments, 'grant-maker');
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'payments exports' }));
    const keyArn = KeyMetadata!.Arn!;
    const keyId = KeyMetadata!.KeyId!;
    const toMember = `arn:aws:iam::${analytics.account}:role/reporting`;
    const toOutsider = `arn:aws:iam::${outsider}:role/exfil`;
    const { GrantId: memberGrant } = await kms.send(
      new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: toMember, Operations: ['Decrypt'] }),
    );
    const { GrantId: outsiderGrant } = await kms.send(
      new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: toOutsider, Operations: ['Decrypt'] }),
    );
    const grantEvent = (grantee: string, grantId: string) =>
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'CreateGrant',
          keyArn,
          caller: attacker,
          requestParameters: { keyId: keyArn, granteePrincipal: grantee, operations: ['Decrypt'] },
          responseElements: { grantId },
        }),
      );

    // A grant to another account of the organization is not external: no signal.
    expect(await onKmsCall(grantEvent(toMember, memberGrant!), localLambdaContext('onKmsApiCall'))).toMatchObject({
      status: 'ignored',
    });
    const outcome = await onKmsCall(grantEvent(toOutsider, outsiderGrant!), localLambdaContext('onKmsApiCall'));

    expect(outcome.incidents?.[0]?.status).toBe('contained');
    const grantees = ((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants ?? []).map(
      (grant) => grant.GranteePrincipal,
    );
    expect(grantees).toEqual([toMember]);
    // The grantor, a role of B, is quarantined in B.
    expect((await iamIn(payments).send(new ListRolePoliciesCommand({ RoleName: 'grant-maker' }))).PolicyNames).toEqual([
      quarantinePolicyName,
    ]);
  });

  it('quarantines, in its own member account, the principal of a GuardDuty finding delivered to the administrator', async () => {
    await attackerIn(analytics, 'etl-worker');
    const finding = {
      version: '0',
      id: 'gd-org-1',
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      // Delivered to the GuardDuty administrator (the central account), about a member's principal.
      account: testAccount,
      time: '2026-12-06T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        schemaVersion: '2.0',
        accountId: analytics.account,
        region: 'us-east-1',
        id: 'gd-finding-org-1',
        type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        severity: 8,
        createdAt: '2026-12-06T09:58:00.000Z',
        updatedAt: '2026-12-06T10:00:00.000Z',
        resource: {
          resourceType: 'AccessKey',
          accessKeyDetails: {
            accessKeyId: 'ASIAEXAMPLEORG00001',
            principalId: 'AROAEXAMPLEORG:i-0abc',
            userName: 'etl-worker',
            userType: 'AssumedRole',
          },
        },
        service: { count: 1, additionalInfo: {} },
      },
    };

    const outcome = await onFinding(finding, localLambdaContext('onSecurityFinding'));

    expect(outcome.incidents?.[0]?.status).toBe('contained');
    const iam = iamIn(analytics);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'etl-worker' }))).PolicyNames).toEqual([
      quarantinePolicyName,
    ]);
    const { PolicyDocument } = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'etl-worker', PolicyName: quarantinePolicyName }),
    );
    expect(decodeURIComponent(PolicyDocument!)).toContain('aws:TokenIssueTime');
    expect(memberSessionsOf(analytics.account).map((call) => call.operation)).toContain('iam:PutRolePolicy');
    // Nothing was quarantined in the central account.
    expect(
      moto.aws.proxy.seen.filter(
        (call) => call.who === 'function onSecurityFinding' && call.operation.startsWith('iam:'),
      ),
    ).toEqual([]);
  });

  it('knows its own calls in a member account, made through the member role, and raises nothing on them', async () => {
    const kms = kmsIn(payments);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'payments reports' }));
    const keyArn = KeyMetadata!.Arn!;
    const byMemberRole: Caller = {
      roleArn: `arn:aws:iam::${payments.account}:role/kms-warden/kms-warden-member-test`,
      sessionName: 'kms-warden-kw-20261206-0123456789ab',
    };
    const disabled = (caller: Caller) =>
      viaEventBridge(
        kmsApiCallRecord({ eventName: 'DisableKey', keyArn, caller, requestParameters: { keyId: keyArn } }),
      );

    expect(await onKmsCall(disabled(byMemberRole), localLambdaContext('onKmsApiCall'))).toMatchObject({
      status: 'ignored',
    });
    // The same role name in an account outside the organization is somebody else.
    const outsiderKey = `arn:aws:kms:us-east-1:${outsider}:key/0e7f1c2a-0000-4000-8000-000000000001`;
    const fromOutside = viaEventBridge(
      kmsApiCallRecord({
        eventName: 'DisableKey',
        keyArn: outsiderKey,
        caller: { roleArn: `arn:aws:iam::${outsider}:role/kms-warden/kms-warden-member-test`, sessionName: 'x' },
        requestParameters: { keyId: outsiderKey },
      }),
    );
    const assumed = () => moto.aws.proxy.seen.filter((call) => call.operation === 'sts:AssumeRole').length;
    const before = assumed();
    const outcome = await onKmsCall(fromOutside, localLambdaContext('onKmsApiCall'));
    expect(outcome.status).toBe('responded');
    // kms-warden never asks for a role in an account outside the organization.
    expect(assumed()).toBe(before);
  });

  it('records an attack in an account without the member role, and says what to deploy there', async () => {
    const kms = kmsIn(sandbox);
    const attacker = await attackerIn(sandbox, 'intern');
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'sandbox data' }));
    const keyArn = KeyMetadata!.Arn!;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId!, PendingWindowInDays: 7 }));

    const outcome = await onKmsCall(deletionScheduled(keyArn, attacker), localLambdaContext('onKmsApiCall'));

    expect(outcome.status).toBe('responded');
    const [incident] = (await incidentsOf('key-deletion-scheduled')).filter((i) => i.keyArn === keyArn);
    expect(incident!.accountName).toBe('sandbox');
    const cancel =
      incident!.results[incident!.plan.findIndex((step: { type: string }) => step.type === 'cancel-key-deletion')];
    expect(cancel).toMatchObject({ outcome: 'needs-person', error: 'MemberRoleRefusedError' });
    expect(cancel.remedy).toContain(`account ${sandbox.account} refused kms-warden its member role`);
    expect(cancel.remedy).toContain('deploy the member StackSet');
    // STS refused it: the role is not there.
    expect(
      moto.aws.proxy.seen.filter((call) => call.operation === 'sts:AssumeRole' && call.outcome === 'refused').length,
    ).toBeGreaterThan(0);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('PendingDeletion');
  });

  it("re-keys a member account's key in that account, through the member role, and asks before deleting the old one", async () => {
    const kms = kmsIn(payments);
    const attacker = await attackerIn(payments, 'rekey-victim');
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'payments card tokens' }));
    const keyArn = KeyMetadata!.Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/payments-tokens', TargetKeyId: KeyMetadata!.KeyId! }));
    await new SecretsManagerClient(moto.aws.memberClient(payments.account)).send(
      new CreateSecretCommand({ Name: 'payments/tokens', SecretString: 'tok', KmsKeyId: keyArn }),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId!, PendingWindowInDays: 7 }));
    const contained = await onKmsCall(deletionScheduled(keyArn, attacker), localLambdaContext('onKmsApiCall'));
    const incidentId = contained.incidents![0]!.id;
    const incidents = new DynamoDbIncidentStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
      stack.incidentTable,
    );
    await incidents.decide(incidentId, 'approved', {
      action: 'approve-rekey',
      by: 'alice',
      channel: 'cli',
      at: new Date().toISOString(),
    });

    // The re-key step's composition root, with its own role: the run's deps are those of the key's account.
    const depsOf = await moto.asFunction('rekeyStep', () => rekeyDepsOfRun({ ...loadConfig(), rekeySettleMinutes: 0 }));
    const deps = await depsOf(incidentId);
    const workflow = new LocalRekeyWorkflow(deps, { timeScale: 0.0001 });
    expect(await workflow.start({ incidentId, keyArn, pendingWindowDays: 21, startedBy: 'alice' })).toMatchObject({
      started: true,
    });
    let incident = await incidents.get(incidentId);
    for (let i = 0; i < 400 && !incident?.rekey?.deletionRequestedAt && !incident?.rekey?.failure; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      incident = await incidents.get(incidentId);
    }
    expect(incident?.rekey?.failure).toBeUndefined();
    expect(incident?.status).toBe('re-keyed');

    // The replacement is a key of payments, the secret moved onto it, the alias with it; the old key waits, disabled.
    const replacement = incident!.rekey!.replacementKeyArn!;
    expect(replacement).toContain(`:${payments.account}:key/`);
    const secret = await new SecretsManagerClient(moto.aws.memberClient(payments.account)).send(
      new DescribeSecretCommand({ SecretId: 'payments/tokens' }),
    );
    expect(secret.KmsKeyId).toBe(replacement);
    const { Aliases = [] } = await kms.send(new ListAliasesCommand({ KeyId: replacement.split('/').at(-1) }));
    expect(Aliases.map((a) => a.AliasName)).toEqual(['alias/payments-tokens']);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('Disabled');
    // Every call was the member role's, in payments; nothing was refused; the central account got no key.
    const rekeyCalls = memberSessionsOf(payments.account).filter((call) =>
      ['kms:CreateKey', 'secretsmanager:UpdateSecret', 'kms:UpdateAlias'].includes(call.operation),
    );
    expect(rekeyCalls.map((call) => call.operation)).toEqual(
      expect.arrayContaining(['kms:CreateKey', 'secretsmanager:UpdateSecret', 'kms:UpdateAlias']),
    );
    expect(memberSessionsOf(payments.account).filter((call) => call.outcome !== 'forwarded')).toEqual([]);
    expect(((await new KMSClient({}).send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyArn)).not.toContain(
      replacement,
    );
  });
});
