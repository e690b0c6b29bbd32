import { partitionOf } from '../../../src/events/accounts';
import { normaliseGuardDutyFinding, guardDutyFindingSchema } from '../../../src/events/guardduty-finding';
import { keyArnOf } from '../../../src/events/kms-api-call';
import { parseIamPrincipal, quarantineRefusal } from '../../../src/actions/quarantine-principal';
import { keyLocation } from '../../../src/aws/kms-keys';
import { record } from '../../support/records';
import { storyKeyOf } from '../../../src/incidents/story';

/** A GuardDuty credential finding about the access key `details` name, in `region`. */
const credentialFinding = (region: string, details: Record<string, string>) =>
  guardDutyFindingSchema.parse({
    accountId: '111122223333',
    region,
    id: 'f',
    type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    severity: 8,
    updatedAt: '2026-11-28T10:00:00.000Z',
    resource: { resourceType: 'AccessKey', accessKeyDetails: details },
  });

describe('ARNs in every partition (aws, aws-cn, aws-us-gov)', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('builds a key ARN from a bare id in %s in partition %s', (region, partition) => {
    const bare = { ...record('DisableKey.iam-user'), awsRegion: region, resources: null, responseElements: null };
    expect(keyArnOf(bare)).toBe(`arn:${partition}:kms:${region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    expect(partitionOf(region)).toBe(partition);
  });

  it('names a GuardDuty principal in the partition of the finding', () => {
    const finding = credentialFinding('cn-northwest-1', {
      accessKeyId: 'ASIA',
      userName: 'deployer',
      userType: 'AssumedRole',
    });
    expect(normaliseGuardDutyFinding(finding).principal.arn).toBe('arn:aws-cn:iam::111122223333:role/deployer');
  });

  it("names an Identity Center role's person, as CloudTrail does, so GuardDuty's finding joins that person's story", () => {
    const finding = credentialFinding('us-east-1', {
      accessKeyId: 'ASIA',
      principalId: 'AROAEXAMPLE:alice@example.com',
      userName: 'AWSReservedSSO_Admin_0123abcd',
      userType: 'AssumedRole',
    });
    const principal = normaliseGuardDutyFinding(finding).principal;
    expect(principal).toMatchObject({
      kind: 'identity-center',
      arn: 'arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd',
      sessionName: 'alice@example.com',
    });
    const cloudTrail = storyKeyOf({
      detector: 'key-disabled',
      principal: {
        kind: 'identity-center',
        arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd',
        sessionName: 'alice@example.com',
      },
    });
    expect(storyKeyOf({ detector: 'guardduty-credential-compromise', principal })).toBe(cloudTrail);
  });

  it('acts on keys and principals of the other partitions', () => {
    expect(
      keyLocation('arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    ).toEqual({ region: 'us-gov-west-1', account: '111122223333', keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' });
    expect(parseIamPrincipal('arn:aws-cn:iam::111122223333:role/ops/deployer')).toEqual({
      partition: 'aws-cn',
      account: '111122223333',
      kind: 'role',
      path: '/ops/',
      name: 'deployer',
    });
    expect(
      quarantineRefusal({ principalArn: 'arn:aws-us-gov:iam::111122223333:user/eve', ownAccount: '111122223333' }),
    ).toBeUndefined();
  });
});
