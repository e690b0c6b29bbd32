import { IAMClient } from '@aws-sdk/client-iam';
import {
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
  PutKeyPolicyCommand,
  RevokeGrantCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import {
  denyPrincipalInKeyPolicy,
  denySidFor,
  principalArnPatterns,
  denyCondition,
} from '../../../src/actions/deny-principal-in-key-policy';
import { forEachPaced } from '../../../src/actions/paced';
import { isServiceGrant, reasonToRevoke, revokeGrants } from '../../../src/actions/revoke-grants';
import { IamPrincipals } from '../../../src/aws/iam-principals';
import { KmsKeys } from '../../../src/aws/kms-keys';
import { InMemoryPolicyTexts, InProcessKeyPolicyLock } from '../../../src/state/policy-texts';
import { evaluateResourcePolicy } from '../../support/strict-aws/policy-evaluation';

const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const kms = mockClient(KMSClient);
const deps = {
  kms: new KmsKeys((region) => new KMSClient({ region })),
  iam: new IamPrincipals(new IAMClient({ region: 'us-east-1' })),
  policyTexts: new InMemoryPolicyTexts(),
  keyPolicyLock: new InProcessKeyPolicyLock(),
};
const first = { resuming: false };
const params = {
  keyArn,
  suspectArn: 'arn:aws:iam::111122223333:role/ci',
  ownAccount: '111122223333',
  trustedAccounts: ['444455556666'],
};

beforeEach(() => kms.reset());

describe('choosing grants to revoke', () => {
  it.each([
    [
      'the suspect as grantee',
      { grantId: 'g', granteePrincipal: 'arn:aws:iam::111122223333:role/ci', operations: [] },
      'held by the suspect',
    ],
    [
      'a session of the suspect as retiring principal',
      { grantId: 'g', retiringPrincipal: 'arn:aws:sts::111122223333:assumed-role/ci/s', operations: [] },
      'held by the suspect',
    ],
    [
      'another account',
      { grantId: 'g', granteePrincipal: '999988887777', operations: [] },
      'held outside the account (999988887777)',
    ],
    [
      'a trusted account',
      { grantId: 'g', granteePrincipal: 'arn:aws:iam::444455556666:role/backup', operations: [] },
      undefined,
    ],
    [
      'a colleague',
      { grantId: 'g', granteePrincipal: 'arn:aws:iam::111122223333:role/app', operations: [] },
      undefined,
    ],
    [
      'DynamoDB for a table',
      { grantId: 'g', granteePrincipal: 'dynamodb.us-east-1.amazonaws.com', operations: [] },
      undefined,
    ],
    [
      'EBS for a volume',
      { grantId: 'g', granteePrincipal: '111122223333:aws:ec2-infrastructure:i-1', operations: [] },
      undefined,
    ],
    [
      'a service grant to an outsider, constrained to an AWS resource',
      {
        grantId: 'g',
        granteePrincipal: '999988887777',
        operations: [],
        constraints: { EncryptionContextSubset: { 'aws:ebs:id': 'vol-1' } },
      },
      undefined,
    ],
  ])('%s', (_name, grant, reason) => {
    expect(reasonToRevoke(grant, params)).toBe(reason);
  });

  it('revokes a service grant when the plan names it', () => {
    const grant = { grantId: 'named', granteePrincipal: 'dynamodb.us-east-1.amazonaws.com', operations: [] };
    expect(isServiceGrant(grant)).toBe(true);
    expect(reasonToRevoke(grant, { ...params, alsoRevoke: ['named'] })).toBe('named in the plan');
  });
});

describe('revoke-grants', () => {
  it('pages through ListGrants and revokes across pages', async () => {
    kms
      .on(ListGrantsCommand)
      .resolvesOnce({
        Grants: [{ GrantId: 'a', GranteePrincipal: '999988887777', Operations: ['Decrypt'] }],
        Truncated: true,
        NextMarker: 'm1',
      })
      .resolvesOnce({
        Grants: [{ GrantId: 'b', GranteePrincipal: 'arn:aws:iam::111122223333:role/ci', Operations: ['Decrypt'] }],
        Truncated: false,
      });
    kms.on(RevokeGrantCommand).resolves({});
    const result = await revokeGrants.apply(params, deps, first);
    expect(kms).toHaveReceivedNthCommandWith(2, ListGrantsCommand, { Marker: 'm1' });
    expect(kms).toHaveReceivedCommandTimes(RevokeGrantCommand, 2);
    expect(result).toMatchObject({ outcome: 'applied', before: { grants: 2 }, after: { grants: 0, failed: [] } });
  });

  it('keeps going when one revoke is refused, and reports it', async () => {
    kms.on(ListGrantsCommand).resolves({
      Grants: [
        { GrantId: 'a', GranteePrincipal: '999988887777', Operations: [] },
        { GrantId: 'b', GranteePrincipal: '999988887777', Operations: [] },
      ],
    });
    kms
      .on(RevokeGrantCommand, { GrantId: 'a' })
      .rejects(Object.assign(new Error('grant a is gone'), { name: 'NotFoundException' }));
    kms.on(RevokeGrantCommand, { GrantId: 'b' }).resolves({});
    const result = await revokeGrants.apply(params, deps, first);
    expect(result).toMatchObject({
      outcome: 'applied',
      before: { revokedCount: 1, revokedIds: ['b'] },
      after: { failedCount: 1, failed: [{ grantId: 'a' }] },
    });
    // The revoked grants themselves are kept apart, for release to recreate.
    const kept = await deps.policyTexts.get(
      (result as unknown as { before: { revokedRef: string } }).before.revokedRef,
    );
    expect(JSON.parse(kept!)).toMatchObject([{ grantId: 'b', granteePrincipal: '999988887777' }]);
  });
});

describe('pacing', () => {
  it('starts at most the given number per second, a whole wave at once', async () => {
    jest.useFakeTimers();
    const started: number[] = [];
    const run = forEachPaced([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      return n;
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(started).toEqual([1, 2]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(started).toEqual([1, 2, 3, 4]);
    await jest.advanceTimersByTimeAsync(1000);
    expect((await run).map((r) => r.ok)).toEqual([true, true, true, true, true]);
    jest.useRealTimers();
  });
});

describe('deny-principal-in-key-policy', () => {
  it('matches a path-less role name under any path', () => {
    expect(principalArnPatterns('arn:aws:iam::111122223333:role/ci')).toEqual([
      'arn:aws:iam::111122223333:role/ci',
      'arn:aws:iam::111122223333:role/*/ci',
    ]);
    expect(principalArnPatterns('arn:aws:iam::111122223333:role/team/ci')).toEqual([
      'arn:aws:iam::111122223333:role/team/ci',
    ]);
  });

  it("denies every holder of a path-less role name but the AWS service's own role (IAM's evaluation)", () => {
    const account = '111122223333';
    const statement = {
      Sid: 'Deny',
      Effect: 'Deny' as const,
      Principal: { AWS: '*' },
      NotAction: 'kms:DescribeKey',
      Resource: '*',
      Condition: denyCondition(`arn:aws:iam::${account}:role/AWSServiceRoleForRDS`),
    };
    const deniedAs = (principalArn: string) =>
      evaluateResourcePolicy(
        { Version: '2012-10-17', Statement: [statement] },
        {
          caller: {
            kind: 'assumed-role',
            account,
            partition: 'aws',
            arn: `arn:aws:sts::${account}:assumed-role/AWSServiceRoleForRDS/s`,
            principalArn,
          },
          action: 'kms:Decrypt',
          resource: `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        },
      ).deny;
    // A role of anyone's making with the service-linked name, at path / or under another path: denied.
    expect(deniedAs(`arn:aws:iam::${account}:role/AWSServiceRoleForRDS`)).toBe(true);
    expect(deniedAs(`arn:aws:iam::${account}:role/team/AWSServiceRoleForRDS`)).toBe(true);
    // The service-linked role AWS made under /aws-service-role/: left to the service.
    expect(deniedAs(`arn:aws:iam::${account}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`)).toBe(
      false,
    );
    // A role named with its path, and a user, carry no exclusion: only the exact ARN is denied.
    expect(denyCondition(`arn:aws:iam::${account}:role/team/ci`)).toEqual({
      ArnLike: { 'aws:PrincipalArn': [`arn:aws:iam::${account}:role/team/ci`] },
    });
    expect(Object.keys(denyCondition(`arn:aws:iam::${account}:user/alice`))).toEqual(['ArnLike']);
  });

  it('keeps a policy whose Statement is a single object, adding the deny beside it', async () => {
    const only = {
      Sid: 'Root',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: 'kms:*',
      Resource: '*',
    };
    kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: only }) });
    kms.on(PutKeyPolicyCommand).resolves({});
    await denyPrincipalInKeyPolicy.apply(
      { keyArn, principalArn: 'arn:aws:iam::111122223333:user/mallory' },
      deps,
      first,
    );
    const put = JSON.parse(kms.commandCalls(PutKeyPolicyCommand)[0]!.args[0].input.Policy!);
    expect(put.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'Root',
      denySidFor('arn:aws:iam::111122223333:user/mallory'),
    ]);
    expect(kms.commandCalls(PutKeyPolicyCommand)[0]!.args[0].input.BypassPolicyLockoutSafetyCheck).toBe(false);
  });

  it('refuses a principal that is not an IAM role or user', async () => {
    expect(
      await denyPrincipalInKeyPolicy.apply({ keyArn, principalArn: 'dynamodb.amazonaws.com' }, deps, first),
    ).toMatchObject({ outcome: 'skipped' });
    expect(kms.calls()).toHaveLength(0);
  });
});
