import { GetRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { denyPrincipalInKeyPolicy } from '../../../src/actions/deny-principal-in-key-policy';
import { guardPrincipal, isAwsManagedRole, type GuardContext } from '../../../src/actions/principal-guard';
import { quarantinePrincipal, quarantineRefusal } from '../../../src/actions/quarantine-principal';
import { IamPrincipals } from '../../../src/aws/iam-principals';
import { KmsKeys } from '../../../src/aws/kms-keys';
import { planManualContainment, principalRefusal } from '../../../src/policy/manual-containment';
import { InMemoryPolicyTexts, InProcessKeyPolicyLock } from '../../../src/state/policy-texts';

const account = '111122223333';
const responder = `arn:aws:iam::${account}:role/kms-warden/prod/kms-warden-prod-us-east-1-on-kms-api-call`;
const context: GuardContext = { responderRoles: [responder], ownAccount: account, partition: 'aws' };
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const principals = {
  role: `arn:aws:iam::${account}:role/ci-deployer`,
  user: `arn:aws:iam::${account}:user/mallory`,
  responder,
  responderSession: `arn:aws:sts::${account}:assumed-role/kms-warden-prod-us-east-1-on-kms-api-call/s`,
  serviceLinked: `arn:aws:iam::${account}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`,
  serviceLinkedWithoutPath: `arn:aws:iam::${account}:role/AWSServiceRoleForRDS`,
  identityCenter: `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`,
  identityCenterWithoutPath: `arn:aws:iam::${account}:role/AWSReservedSSO_Admin_0123456789abcdef`,
  root: `arn:aws:iam::${account}:root`,
  session: `arn:aws:sts::${account}:assumed-role/leaky-ci/build-42`,
  federated: `arn:aws:sts::${account}:federated-user/bob`,
  otherAccount: 'arn:aws:iam::999988887777:role/ci-deployer',
  otherPartition: `arn:aws-cn:iam::${account}:role/ci-deployer`,
  service: 'ec2.amazonaws.com',
  group: `arn:aws:iam::${account}:group/admins`,
};

describe('the principal guard', () => {
  it.each([
    ['a role of this account', principals.role, 'role', 'automatic', 'automatic', undefined],
    ['a user of this account', principals.user, 'user', 'automatic', 'automatic', undefined],
    ["kms-warden's own role", principals.responder, 'responder', 'never', 'never', "kms-warden's own role"],
    [
      "a session of kms-warden's own role",
      principals.responderSession,
      'responder',
      'never',
      'never',
      "kms-warden's own role",
    ],
    [
      'a service-linked role',
      principals.serviceLinked,
      'service-linked-role',
      'approval',
      'never',
      'is a service-linked role',
    ],
    // The name is anyone's to take at path /: only the path AWS reserves makes a service-linked role. Planned as a
    // role; the deny leaves /aws-service-role/ out and the quarantine asks IAM for the exact ARN first (below).
    [
      'a role named like a service-linked one, without a path (GuardDuty, or a role of anyone making)',
      principals.serviceLinkedWithoutPath,
      'role',
      'automatic',
      'automatic',
      undefined,
    ],
    [
      'an IAM Identity Center role',
      principals.identityCenter,
      'aws-managed-role',
      'automatic',
      'never',
      'is managed by AWS (IAM Identity Center)',
    ],
    [
      'an IAM Identity Center role named without its path',
      principals.identityCenterWithoutPath,
      'aws-managed-role',
      'automatic',
      'never',
      'is managed by AWS',
    ],
    ['the root user', principals.root, 'root', 'never', 'approval', 'root user'],
    [
      'a session',
      principals.session,
      'session',
      'never',
      'never',
      `is a session: name its role instead (arn:aws:iam::${account}:role/leaky-ci`,
    ],
    ['a federated session', principals.federated, 'federated-user', 'automatic', 'never', 'is a federated session'],
    [
      "another account's role",
      principals.otherAccount,
      'role',
      'automatic',
      'never',
      'quarantine it in its own account',
    ],
    ['a role of another partition', principals.otherPartition, 'other-partition', 'never', 'never', 'partition aws-cn'],
    [
      'an AWS service',
      principals.service,
      'not-a-principal',
      'never',
      'never',
      'is not an IAM role, user or federated user ARN',
    ],
    [
      'an IAM group',
      principals.group,
      'not-a-principal',
      'never',
      'never',
      'is not an IAM role, user or federated user ARN',
    ],
  ])('%s', (_name, arn, kind, deny, quarantine, why) => {
    const guard = guardPrincipal(arn, context);
    expect(guard).toMatchObject({ kind, deny: { may: deny }, quarantine: { may: quarantine } });
    for (const verdict of [guard.deny, guard.quarantine]) {
      if (verdict.may === 'automatic') expect(verdict.why).toBeUndefined();
      else expect(verdict.why).toEqual(expect.any(String));
    }
    if (why) expect([guard.deny.why, guard.quarantine.why].some((text) => text?.includes(why))).toBe(true);
  });

  it('offers the deny of a break-glass principal to a person, and never quarantines it', () => {
    const breakGlass = [`arn:aws:iam::${account}:role/ops/BreakGlass`];
    const guard = guardPrincipal(`arn:aws:iam::${account}:role/ops/BreakGlass`, { ...context, breakGlass });
    expect(guard).toMatchObject({ kind: 'break-glass', deny: { may: 'approval' }, quarantine: { may: 'never' } });
    expect(guard.quarantine.why).toContain('breakGlassPrincipals');
    // Another role of the same name under another path is not the break-glass one.
    expect(guardPrincipal(`arn:aws:iam::${account}:role/BreakGlass`, { ...context, breakGlass }).kind).toBe('role');
  });

  it("knows kms-warden's own roles by the path stored plans named them by", () => {
    expect(
      guardPrincipal(`arn:aws:iam::${account}:role/kms-warden/prod/anything`, { responderRolePath: '/kms-warden/' })
        .kind,
    ).toBe('responder');
  });

  it('without an own account or partition, judges the principal alone', () => {
    expect(guardPrincipal(principals.otherAccount)).toMatchObject({
      ownAccount: undefined,
      deny: { may: 'automatic' },
      quarantine: { may: 'automatic' },
    });
    expect(guardPrincipal(principals.otherPartition)).toMatchObject({ kind: 'role', quarantine: { may: 'automatic' } });
  });

  it('keeps what quarantine guarded before: AWS-managed roles, by path or name', () => {
    expect(
      [principals.serviceLinked, principals.identityCenter, principals.identityCenterWithoutPath].every(
        isAwsManagedRole,
      ),
    ).toBe(true);
    expect(isAwsManagedRole(principals.role)).toBe(false);
    expect(quarantineRefusal({ principalArn: principals.serviceLinked, ownAccount: account })).toContain(
      'service-linked',
    );
    expect(
      quarantineRefusal({ principalArn: principals.role, ownAccount: account, responderRoles: [responder] }),
    ).toBeUndefined();
  });
});

describe('actions refuse a guarded principal when they apply', () => {
  const kms = mockClient(KMSClient);
  const iam = mockClient(IAMClient);
  const deps = {
    kms: new KmsKeys((region) => new KMSClient({ region })),
    iam: new IamPrincipals(new IAMClient({ region: 'us-east-1' })),
    policyTexts: new InMemoryPolicyTexts(),
    keyPolicyLock: new InProcessKeyPolicyLock(),
  };
  const first = { resuming: false };
  beforeEach(() => {
    kms.reset();
    iam.reset();
  });

  it.each([
    ['a service-linked role', principals.serviceLinked, 'is a service-linked role'],
    ["kms-warden's own role", principals.responder, "kms-warden's own role"],
    ['the root user', principals.root, 'root user is never denied'],
    ['a session', principals.session, 'is a session'],
    ['a role of another partition', principals.otherPartition, 'partition aws-cn'],
  ])(
    'deny-principal-in-key-policy skips %s and never reads or writes the key policy',
    async (_name, principalArn, why) => {
      const result = await denyPrincipalInKeyPolicy.apply(
        { keyArn, principalArn, responderRoles: [responder] },
        deps,
        first,
      );
      expect(result).toEqual({ outcome: 'skipped', reason: expect.stringContaining(why) });
      expect(kms.commandCalls(GetKeyPolicyCommand)).toHaveLength(0);
      expect(kms.commandCalls(PutKeyPolicyCommand)).toHaveLength(0);
    },
  );

  it.each([
    ['an IAM Identity Center role', principals.identityCenter],
    ["another account's role", principals.otherAccount],
    ['a federated session', principals.federated],
  ])('deny-principal-in-key-policy still denies %s (contained through the key policy)', async (_name, principalArn) => {
    kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) });
    kms.on(PutKeyPolicyCommand).resolves({});
    expect(
      await denyPrincipalInKeyPolicy.apply({ keyArn, principalArn, responderRoles: [responder] }, deps, first),
    ).toMatchObject({ outcome: 'applied' });
  });

  it.each([
    ['a service-linked role', principals.serviceLinked, 'service-linked'],
    ['an IAM Identity Center role', principals.identityCenter, 'is managed by AWS'],
    ["kms-warden's own role", principals.responder, "kms-warden's own role"],
    ['the root user', principals.root, 'root user'],
    ['a session', principals.session, 'is a session'],
    ['a federated session', principals.federated, 'federated session'],
    ["another account's role", principals.otherAccount, 'quarantine it in its own account'],
  ])('quarantine-principal skips %s and makes no IAM call', async (_name, principalArn, why) => {
    const result = await quarantinePrincipal.apply(
      {
        principalArn,
        sessionsIssuedBefore: '2026-11-28T12:00:00.000Z',
        ownAccount: account,
        responderRoles: [responder],
      },
      deps,
      first,
    );
    expect(result).toEqual({ outcome: 'skipped', reason: expect.stringContaining(why) });
    expect(iam.calls()).toHaveLength(0);
  });

  it.each([
    ["another account's role", principals.otherAccount],
    ['a role of another partition', principals.otherPartition],
  ])(
    'quarantine-principal never stands a namesake in this account in for %s (a plan stored without its account)',
    async (_name, principalArn) => {
      iam.on(GetRoleCommand).resolves({
        Role: {
          Arn: `arn:aws:iam::${account}:role/ci-deployer`,
          RoleName: 'ci-deployer',
          Path: '/',
          RoleId: 'AROA',
          CreateDate: new Date(),
        },
      });
      const result = await quarantinePrincipal.apply(
        { principalArn, sessionsIssuedBefore: '2026-11-28T12:00:00.000Z' },
        deps,
        first,
      );
      expect(result).toEqual({ outcome: 'skipped', reason: expect.stringContaining('quarantine it where it lives') });
      expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    },
  );

  it('quarantine-principal skips a path-less role name that IAM shows is a service-linked role', async () => {
    iam.on(GetRoleCommand).resolves({
      Role: {
        Arn: principals.serviceLinked,
        RoleName: 'AWSServiceRoleForRDS',
        Path: '/aws-service-role/rds.amazonaws.com/',
        RoleId: 'AROA',
        CreateDate: new Date(),
      },
    });
    const result = await quarantinePrincipal.apply(
      {
        principalArn: principals.serviceLinkedWithoutPath,
        sessionsIssuedBefore: '2026-11-28T12:00:00.000Z',
        ownAccount: account,
      },
      deps,
      first,
    );
    expect(result).toEqual({ outcome: 'skipped', reason: expect.stringContaining('is a service-linked role') });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it('quarantine-principal skips a path-less role that IAM shows is managed by AWS, before changing it', async () => {
    iam.on(GetRoleCommand).resolves({
      Role: {
        Arn: `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/ops-admin`,
        RoleName: 'ops-admin',
        Path: '/aws-reserved/sso.amazonaws.com/',
        RoleId: 'AROA',
        CreateDate: new Date(),
      },
    });
    const result = await quarantinePrincipal.apply(
      {
        principalArn: `arn:aws:iam::${account}:role/ops-admin`,
        sessionsIssuedBefore: '2026-11-28T12:00:00.000Z',
        ownAccount: account,
      },
      deps,
      first,
    );
    expect(result).toEqual({ outcome: 'skipped', reason: expect.stringContaining('is managed by AWS') });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it.each([
    ["kms-warden's own role", principals.responder, "is one of kms-warden's own roles"],
    ['a service-linked role', principals.serviceLinked, 'is a service-linked role'],
    ['an IAM Identity Center role', principals.identityCenter, 'is managed by AWS'],
    ['the root user', principals.root, 'root user'],
    ['a session', principals.session, 'is a session: name its role instead'],
    ['a federated session', principals.federated, 'federated session'],
    ['an AWS service', principals.service, 'is not an IAM role, user or federated user ARN'],
  ])('manual containment refuses %s', (_name, principalArn, why) => {
    expect(principalRefusal(principalArn, [responder], account)).toContain(why);
  });

  it("manual containment isolates a role, and another account's role in the key policy, with the guard's context in each step", () => {
    expect(principalRefusal(principals.role, [responder], account)).toBeUndefined();
    expect(principalRefusal(principals.otherAccount, [responder], account)).toBeUndefined();
    const plan = planManualContainment({
      keyArn,
      principalArn: principals.role,
      disable: false,
      trustedAccounts: [],
      responderRoles: [responder],
      ownAccount: account,
      revokesPerSecond: 5,
      now: '2026-11-28T12:00:00.000Z',
    });
    expect(plan.find((s) => s.type === 'deny-principal-in-key-policy')!.params).toMatchObject({
      responderRoles: [responder],
    });
    expect(plan.find((s) => s.type === 'quarantine-principal')!.params).toMatchObject({
      responderRoles: [responder],
      ownAccount: account,
    });
  });
});
