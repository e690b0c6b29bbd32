import { cloudTrailRecordSchema } from '../../../src/events/cloudtrail-record';
import { keyArnOf, normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { isSamePrincipal, normalisePrincipal } from '../../../src/events/principal';
import { byResponder, invokedByService, realRecords, record, responderRoles } from '../../support/records';

const options = { responderRoles };

describe('normalising CloudTrail KMS records', () => {
  const cloudTrailFiles = [
    'awsdocs-kms-developer-guide.ndjson',
    'awsdocs-kms-developer-guide-repaired.ndjson',
    'awsdocs-dynamodb-kms.ndjson',
    'awsdocs-secretsmanager-kms.ndjson',
    'awsdocs-managedblockchain-kms.ndjson',
    'awsdocs-cloudtrail-ug-kms.ndjson',
    'invictus-aws-dataset-kms.ndjson',
  ];

  it.each(cloudTrailFiles)('accepts every real record in %s', (file) => {
    const rows = realRecords(file);
    const rejected = rows
      .map((row) => cloudTrailRecordSchema.safeParse(row))
      .filter((parsed) => !parsed.success)
      .map((parsed) => parsed.error?.issues);
    expect(rejected).toEqual([]);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('accepts the Panther-normalised records, reading their space-separated times as UTC', () => {
    const parsed = realRecords('panther-kms.ndjson').map((row) => cloudTrailRecordSchema.safeParse(row));
    const accepted = parsed.filter((p) => p.success).map((p) => p.data!.eventTime);
    expect(accepted).toHaveLength(9);
    expect(accepted).toEqual(
      expect.arrayContaining(['2024-01-01T00:00:00.000Z', '2025-03-05T21:19:44.000Z', '2021-10-19T00:56:05.000Z']),
    );
  });

  it('rejects a record without an eventID, naming the field', () => {
    const parsed = realRecords('panther-kms.ndjson').map((row) => cloudTrailRecordSchema.safeParse(row));
    const rejected = parsed.filter((p) => !p.success);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.error!.issues.map((issue) => issue.path.join('.'))).toEqual(['eventID']);
  });

  it.each(['yesterday', '2024-13-01T00:00:00Z', '', '1700000000'])('rejects the time %j', (eventTime) => {
    const parsed = cloudTrailRecordSchema.safeParse({ ...record('DisableKey.iam-user'), eventTime });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['eventTime']);
  });

  it('takes the key from resources[] when the request named it by id only', () => {
    const call = normaliseKmsApiCall(record('ScheduleKeyDeletion.iam-user'), options);
    // The record's awsRegion is us-east-1 but its resource is in us-west-2: the resource is authoritative.
    expect(call.keyArn).toBe('arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  });

  it('falls back to the response when resources is null', () => {
    expect(keyArnOf(record('ScheduleKeyDeletion.assumed-role.missing-resources'))).toBe(
      'arn:aws:kms:us-west-2:123456789012:key/1',
    );
  });

  it('completes a bare key id with the record region and account', () => {
    const bare = { ...record('DisableKey.iam-user'), resources: null, responseElements: null };
    expect(keyArnOf(bare)).toBe(`arn:aws:kms:${bare.awsRegion}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
  });

  it('leaves the key unknown when only an alias names it', () => {
    const aliased = {
      ...record('DisableKey.iam-user'),
      resources: null,
      responseElements: null,
      requestParameters: { keyId: 'alias/payments' },
    };
    expect(keyArnOf(aliased)).toBeUndefined();
  });

  it('knows a failed call', () => {
    const call = normaliseKmsApiCall(record('DisableKey.not-found-error'), options);
    expect(call).toMatchObject({ succeeded: false, errorCode: 'NotFoundException' });
  });

  it('marks calls an AWS service made for a customer', () => {
    expect(normaliseKmsApiCall(record('Decrypt.invoked-by-dynamodb'), options).invokedBy).toBe(
      'dynamodb.amazonaws.com',
    );
    expect(normaliseKmsApiCall(record('Decrypt.aws-service-workmail'), options)).toMatchObject({
      invokedBy: 'workmail.eu-west-1.amazonaws.com',
      principal: { kind: 'aws-service' },
    });
    expect(normaliseKmsApiCall(invokedByService(record('ScheduleKeyDeletion.iam-user')), options).invokedBy).toBe(
      'cloudformation.amazonaws.com',
    );
    expect(normaliseKmsApiCall(record('ScheduleKeyDeletion.iam-user'), options).invokedBy).toBeUndefined();
  });

  it("recognises the responder's own role by its exact ARN, not by the IAM path anyone may create roles under", () => {
    expect(normaliseKmsApiCall(byResponder(record('ScheduleKeyDeletion.iam-user')), options).byResponder).toBe(true);
    // Another role under kms-warden's own path: whoever may create roles could make one there.
    expect(
      normaliseKmsApiCall(
        byResponder(record('ScheduleKeyDeletion.iam-user'), 'attacker-made', '/kms-warden/test/'),
        options,
      ).byResponder,
    ).toBe(false);
    // The same role name in another account is another role.
    expect(
      normaliseKmsApiCall(
        byResponder({ ...record('ScheduleKeyDeletion.iam-user'), recipientAccountId: '999988887777' }),
        options,
      ).byResponder,
    ).toBe(false);
    expect(normaliseKmsApiCall(record('ScheduleKeyDeletion.assumed-role'), options).byResponder).toBe(false);
  });
});

describe('normalising principals', () => {
  it.each([
    [
      'IAM user',
      {
        type: 'IAMUser',
        arn: 'arn:aws:iam::111122223333:user/Alice',
        accountId: '111122223333',
        accessKeyId: 'AKIAEXAMPLE',
      },
      { kind: 'iam-user', arn: 'arn:aws:iam::111122223333:user/Alice', accessKeyId: 'AKIAEXAMPLE', path: '/' },
    ],
    [
      'assumed role: the issuing role, with the session beside it',
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/deployer/mallory',
        accountId: '123456789012',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::123456789012:role/ci/deployer' } },
      },
      {
        kind: 'assumed-role',
        arn: 'arn:aws:iam::123456789012:role/ci/deployer',
        sessionArn: 'arn:aws:sts::123456789012:assumed-role/deployer/mallory',
        sessionName: 'mallory',
        path: '/ci/',
      },
    ],
    [
      'Identity Center',
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com',
        sessionContext: {
          sessionIssuer: {
            arn: 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef',
          },
        },
      },
      { kind: 'identity-center', sessionName: 'alice@example.com' },
    ],
    [
      'root',
      { type: 'Root', arn: 'arn:aws:iam::123456789012:root', accountId: '123456789012' },
      { kind: 'root', arn: 'arn:aws:iam::123456789012:root' },
    ],
    [
      'federated user',
      {
        type: 'FederatedUser',
        arn: 'arn:aws:sts::123456789012:federated-user/bob',
        sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:user/broker' } },
      },
      // The session is the principal (aws:PrincipalArn is its ARN); the broker user who made it stays beside it.
      {
        kind: 'federated-user',
        arn: 'arn:aws:sts::123456789012:federated-user/bob',
        sessionArn: 'arn:aws:sts::123456789012:federated-user/bob',
        issuerArn: 'arn:aws:iam::123456789012:user/broker',
      },
    ],
    [
      'AWS service',
      { type: 'AWSService', invokedBy: 'dynamodb.amazonaws.com' },
      { kind: 'aws-service', arn: 'dynamodb.amazonaws.com' },
    ],
  ])('%s', (_name, identity, expected) => {
    expect(normalisePrincipal(identity)).toMatchObject(expected);
  });

  it('treats a role ARN and its sessions as the same principal, whatever the path', () => {
    expect(
      isSamePrincipal(
        'arn:aws:sts::123456789012:assumed-role/deployer/mallory',
        'arn:aws:iam::123456789012:role/ci/deployer',
      ),
    ).toBe(true);
    expect(isSamePrincipal('arn:aws:iam::123456789012:role/deployer', 'arn:aws:iam::123456789012:role/deployer2')).toBe(
      false,
    );
    expect(isSamePrincipal('arn:aws:iam::123456789012:role/deployer', 'arn:aws:iam::210987654321:role/deployer')).toBe(
      false,
    );
    expect(isSamePrincipal('arn:aws:iam::123456789012:user/deployer', 'arn:aws:iam::123456789012:role/deployer')).toBe(
      false,
    );
  });
});
