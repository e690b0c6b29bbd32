import { policyWithoutContainment } from '../../../src/rekey/key-snapshot';
import { rekeyOnlySid, shutPolicy } from '../../../src/rekey/old-key-shut';
import { authorizeKms, parsePolicy } from '../../support/strict-aws/policy-evaluation';

const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1';
const rekeyRole = 'arn:aws:iam::111122223333:role/kms-warden/prod/kms-warden-prod-eu-west-1-rekey';
const owners = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Owners',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

describe('shutting the old key to all but re-keying', () => {
  it('adds one statement, once, keeps every other, and is never copied to the replacement', () => {
    const shut = shutPolicy(JSON.stringify(owners), keyArn, [rekeyRole])!;
    const statements = (JSON.parse(shut) as typeof owners).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(['Owners', rekeyOnlySid]);
    expect(shutPolicy(shut, keyArn, [rekeyRole])).toBeUndefined();
    expect(JSON.parse(policyWithoutContainment(shut))).toEqual(owners);
    // Another role to keep it for (a setting changed): the statement is replaced, not added twice.
    const again = shutPolicy(shut, keyArn, [rekeyRole, 'arn:aws:iam::111122223333:role/batch'])!;
    expect((JSON.parse(again) as typeof owners).Statement.filter((s) => s.Sid === rekeyOnlySid)).toHaveLength(1);
  });

  it.each([
    [rekeyRole, 'kms:Decrypt', 'allowed'],
    ['arn:aws:iam::111122223333:role/payments-app', 'kms:Decrypt', 'denied'],
    ['arn:aws:iam::111122223333:role/payments-app', 'kms:CreateGrant', 'denied'],
    // Management stays with the key's administrators, as the policy lets them: they can remove the statement.
    ['arn:aws:iam::111122223333:role/payments-app', 'kms:PutKeyPolicy', 'allowed'],
    [
      'arn:aws:iam::111122223333:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS',
      'kms:Decrypt',
      'allowed',
    ],
  ])('%s calling %s is %s', (principalArn, action, verdict) => {
    const policy = parsePolicy(shutPolicy(JSON.stringify(owners), keyArn, [rekeyRole])!);
    // Each caller's IAM policy allows everything on the key: the key policy alone decides.
    const iam = parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: keyArn }] }));
    const role = principalArn.slice(principalArn.lastIndexOf('/') + 1);
    const { allowed } = authorizeKms(policy, [iam], {
      caller: {
        kind: 'assumed-role',
        account: '111122223333',
        partition: 'aws',
        arn: `arn:aws:sts::111122223333:assumed-role/${role}/s`,
        principalArn,
      },
      action,
      resource: keyArn,
    });
    expect(allowed ? 'allowed' : 'denied').toBe(verdict);
  });
});
