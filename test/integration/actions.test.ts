import {
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListGrantsCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import type { ActionDeps, ActionResult } from '../../src/actions/action';
import { quarantinePolicyName, quarantinePrincipal } from '../../src/actions/quarantine-principal';
import { cancelKeyDeletion } from '../../src/actions/cancel-key-deletion';
import { denyPrincipalInKeyPolicy, denySidFor } from '../../src/actions/deny-principal-in-key-policy';
import { disableKey } from '../../src/actions/disable-key';
import { enableKeyRotation } from '../../src/actions/enable-key-rotation';
import { restoreKeyPolicy } from '../../src/actions/restore-key-policy';
import { revokeGrants } from '../../src/actions/revoke-grants';
import { PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { documentClient } from '../../src/aws/clients';
import { loadConfig } from '../../src/config';
import { provisionResponderStack, responderEnvironment } from '../../src/local/responder-stack';
import { actionAdapters } from '../../src/composition/responder';
import { useMoto } from '../support/moto';

const account = '123456789012';
const suspect = `arn:aws:iam::${account}:role/ci-deployer`;

describe('containment actions against moto: apply, apply again, undo', () => {
  const moto = useMoto();
  let kms: KMSClient;
  /** Applied as a responder applies them, with its role; undone as a release undoes them, with the approvals role. */
  let deps: ActionDeps;
  let undoDeps: ActionDeps;
  const first = { resuming: false };

  beforeAll(async () => {
    const stack = await provisionResponderStack('actions');
    moto.aws.useStack(stack);
    Object.assign(process.env, responderEnvironment(stack));
    kms = new KMSClient({});
    deps = await moto.asFunction('onKmsApiCall', () => actionAdapters(loadConfig(), documentClient()));
    undoDeps = await moto.asFunction('executeDecision', () => actionAdapters(loadConfig(), documentClient()));
  });

  const newKey = async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'payments' }));
    return { keyArn: KeyMetadata!.Arn!, keyId: KeyMetadata!.KeyId! };
  };
  const state = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
  const policy = async (keyId: string) =>
    JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!);
  const grantIds = async (keyId: string) =>
    ((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants ?? []).map((g) => g.GranteePrincipal).sort();

  it('cancel-key-deletion', async () => {
    const { keyArn, keyId } = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const params = { keyArn, restoreState: 'Enabled' as const };

    const applied = await cancelKeyDeletion.apply(params, deps, first);
    expect(applied.outcome).toBe('applied');
    expect((await state(keyId)).KeyState).toBe('Enabled');
    expect(await cancelKeyDeletion.apply(params, deps, first)).toMatchObject({
      outcome: 'skipped',
      reason: 'key is Enabled',
    });
    await cancelKeyDeletion.undo(params, undoDeps, applied);
    // Undo takes back the EnableKey; scheduling the deletion again is a person's decision.
    expect(await state(keyId)).toMatchObject({ KeyState: 'Disabled' });
  });

  it('disable-key', async () => {
    const { keyArn, keyId } = await newKey();
    const applied = await disableKey.apply({ keyArn }, deps, first);
    expect(applied).toMatchObject({ outcome: 'applied', before: { state: 'Enabled' }, after: { state: 'Disabled' } });
    expect((await state(keyId)).KeyState).toBe('Disabled');
    expect(await disableKey.apply({ keyArn }, deps, first)).toMatchObject({
      outcome: 'skipped',
      reason: 'key is Disabled',
    });
    await disableKey.undo({ keyArn }, undoDeps, applied);
    expect((await state(keyId)).KeyState).toBe('Enabled');
  });

  it('enable-key-rotation', async () => {
    const { keyArn, keyId } = await newKey();
    const rotation = async () => (await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled;
    expect(await rotation()).toBe(false);
    const applied = await enableKeyRotation.apply({ keyArn }, deps, first);
    expect(applied).toMatchObject({ outcome: 'applied', after: { rotationEnabled: true } });
    expect(await rotation()).toBe(true);
    expect(await enableKeyRotation.apply({ keyArn }, deps, first)).toMatchObject({ outcome: 'skipped' });
    await enableKeyRotation.undo({ keyArn }, undoDeps, applied);
    expect(await rotation()).toBe(false);
  });

  it('deny-principal-in-key-policy', async () => {
    const { keyArn, keyId } = await newKey();
    const before = await policy(keyId);
    const params = { keyArn, principalArn: suspect };

    const applied = await denyPrincipalInKeyPolicy.apply(params, deps, first);
    const after = await policy(keyId);
    expect(applied.outcome).toBe('applied');
    expect(after.Statement).toEqual([
      ...before.Statement,
      {
        Sid: denySidFor(suspect),
        Effect: 'Deny',
        Principal: { AWS: '*' },
        NotAction: 'kms:DescribeKey',
        Resource: '*',
        Condition: {
          ArnLike: { 'aws:PrincipalArn': [suspect, `arn:aws:iam::${account}:role/*/ci-deployer`] },
          ArnNotLike: { 'aws:PrincipalArn': [`arn:aws:iam::${account}:role/aws-service-role/*`] },
        },
      },
    ]);
    expect(await denyPrincipalInKeyPolicy.apply(params, deps, first)).toMatchObject({ outcome: 'skipped' });
    expect((await policy(keyId)).Statement).toHaveLength(before.Statement.length + 1);
    await denyPrincipalInKeyPolicy.undo(params, undoDeps, applied);
    expect(await policy(keyId)).toEqual(before);
  });

  it('deny-principal-in-key-policy never denies root', async () => {
    const { keyArn, keyId } = await newKey();
    const before = await policy(keyId);
    expect(
      await denyPrincipalInKeyPolicy.apply({ keyArn, principalArn: `arn:aws:iam::${account}:root` }, deps, first),
    ).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('root user is never denied'),
    });
    expect(await policy(keyId)).toEqual(before);
  });

  it('revoke-grants: the suspect and outsiders lose theirs, the grant EBS holds for a volume stays', async () => {
    const { keyArn, keyId } = await newKey();
    const grant = (GranteePrincipal: string, context?: Record<string, string>) =>
      kms.send(
        new CreateGrantCommand({
          KeyId: keyId,
          GranteePrincipal,
          Operations: ['Decrypt', 'GenerateDataKey'],
          ...(context ? { Constraints: { EncryptionContextSubset: context } } : {}),
        }),
      );
    await grant(suspect);
    await grant('arn:aws:iam::999988887777:role/exfil');
    await grant(`arn:aws:iam::${account}:role/payments-app`);
    await grant(`arn:aws:iam::${account}:role/ebs-helper`, { 'aws:ebs:id': 'vol-0abc' });
    const everyone = await grantIds(keyId);
    const params = { keyArn, suspectArn: suspect, ownAccount: account, trustedAccounts: [] };

    const applied = (await revokeGrants.apply(params, deps, first)) as Extract<ActionResult, { outcome: 'applied' }>;
    expect(applied.outcome).toBe('applied');
    expect(await grantIds(keyId)).toEqual([
      `arn:aws:iam::${account}:role/ebs-helper`,
      `arn:aws:iam::${account}:role/payments-app`,
    ]);
    expect(await revokeGrants.apply(params, deps, first)).toMatchObject({ outcome: 'skipped' });
    await revokeGrants.undo(params, undoDeps, applied);
    expect(await grantIds(keyId)).toEqual(everyone);
  });

  it("restore-key-policy puts back the earlier policy, and only over the suspect's", async () => {
    const { keyArn, keyId } = await newKey();
    const earlier = JSON.stringify(await policy(keyId));
    const open = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Open', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }],
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: open }));
    const params = { keyArn, policy: earlier, replacedPolicy: open };

    const applied = await restoreKeyPolicy.apply(params, deps, first);
    expect(applied.outcome).toBe('applied');
    expect(await policy(keyId)).toEqual(JSON.parse(earlier));
    expect(await restoreKeyPolicy.apply(params, deps, first)).toMatchObject({
      outcome: 'skipped',
      reason: 'the earlier policy is already in place',
    });
    await restoreKeyPolicy.undo(params, undoDeps, applied);
    expect(await policy(keyId)).toEqual(JSON.parse(open));

    const third = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Third',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: third }));
    expect(await restoreKeyPolicy.apply(params, deps, first)).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('changed again'),
    });
    expect(await policy(keyId)).toEqual(JSON.parse(third));
  });

  describe('quarantine-principal', () => {
    const iam = () => new IAMClient({});
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const at = '2026-11-28T12:00:00.000Z';

    it('denies a role everything for older sessions and KMS for all, then takes it back', async () => {
      const { Role } = await iam().send(
        new CreateRoleCommand({ RoleName: 'ci-deployer', Path: '/ci/', AssumeRolePolicyDocument: trust }),
      );
      const params = {
        principalArn: Role!.Arn!,
        sessionsIssuedBefore: at,
        ownAccount: account,
        responderRoles: moto.aws.responderRoles,
      };
      const policies = async () =>
        (await iam().send(new ListRolePoliciesCommand({ RoleName: 'ci-deployer' }))).PolicyNames;

      const applied = await quarantinePrincipal.apply(params, deps, first);
      expect(applied.outcome).toBe('applied');
      const { PolicyDocument } = await iam().send(
        new GetRolePolicyCommand({ RoleName: 'ci-deployer', PolicyName: quarantinePolicyName }),
      );
      expect(JSON.parse(decodeURIComponent(PolicyDocument!)).Statement).toEqual([
        {
          Sid: 'KmsWardenRevokeOlderSessions',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': at } },
        },
        { Sid: 'KmsWardenDenyKms', Effect: 'Deny', Action: 'kms:*', Resource: '*' },
      ]);
      expect(await quarantinePrincipal.apply(params, deps, first)).toMatchObject({
        outcome: 'skipped',
        reason: 'already quarantined',
      });
      await quarantinePrincipal.undo(params, undoDeps, applied);
      expect(await policies()).toEqual([]);
    });

    it("deactivates a user's access keys and reactivates them on undo", async () => {
      await iam().send(new CreateUserCommand({ UserName: 'mallory' }));
      const { AccessKey } = await iam().send(new CreateAccessKeyCommand({ UserName: 'mallory' }));
      const params = {
        principalArn: `arn:aws:iam::${account}:user/mallory`,
        sessionsIssuedBefore: at,
        ownAccount: account,
        responderRoles: moto.aws.responderRoles,
      };
      const status = async () =>
        (await iam().send(new ListAccessKeysCommand({ UserName: 'mallory' }))).AccessKeyMetadata!.map((k) => k.Status);

      const applied = await quarantinePrincipal.apply(params, deps, first);
      expect(applied).toMatchObject({ outcome: 'applied', after: { deactivatedAccessKeys: [AccessKey!.AccessKeyId] } });
      expect(await status()).toEqual(['Inactive']);
      expect((await iam().send(new ListUserPoliciesCommand({ UserName: 'mallory' }))).PolicyNames).toEqual([
        quarantinePolicyName,
      ]);
      expect(await quarantinePrincipal.apply(params, deps, first)).toMatchObject({ outcome: 'skipped' });
      await quarantinePrincipal.undo(params, undoDeps, applied);
      expect(await status()).toEqual(['Active']);
      expect((await iam().send(new ListUserPoliciesCommand({ UserName: 'mallory' }))).PolicyNames).toEqual([]);
    });

    it.each([
      ['root', `arn:aws:iam::${account}:root`, 'root user'],
      [
        'a service-linked role',
        `arn:aws:iam::${account}:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway`,
        'service-linked',
      ],
      [
        "kms-warden's own role",
        `arn:aws:iam::${account}:role/kms-warden/test/kms-warden-test-us-east-1-on-kms-api-call`,
        "kms-warden's own role",
      ],
    ])('never quarantines %s', async (_name, principalArn, reason) => {
      expect(
        await quarantinePrincipal.apply(
          { principalArn, sessionsIssuedBefore: at, ownAccount: account, responderRoles: moto.aws.responderRoles },
          deps,
          first,
        ),
      ).toMatchObject({
        outcome: 'skipped',
        reason: expect.stringContaining(reason),
      });
    });
  });
});
