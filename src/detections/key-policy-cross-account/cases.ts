import {
  anyoneMayUseTheKey,
  byResponder,
  callerAccountExample,
  deniedToAllBut,
  failed,
  invokedByService,
  notPrincipalExample,
  policy,
  policyWith,
  record,
  vpceRestrictionExample,
  withRequest,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

/** PutKeyPolicy on the key of account 111122223333 with the KMS guide's statement to "*", held by `Condition`. */
const heldBy = (Condition: Record<string, Record<string, unknown>>) =>
  withRequest(record('PutKeyPolicy.default-policy'), { policy: policy(callerAccountExample(Condition)) });
const guardedBy = (...statements: Array<Record<string, unknown>>) =>
  withRequest(record('PutKeyPolicy.default-policy'), { policy: policyWith(anyoneMayUseTheKey, ...statements) });
const cannotTie = (...unverified: string[]) => ({ severity: 'high', evidence: { accounts: [], unverified } });
const organizations = (...named: string[]) => ({ severity: 'high', evidence: { accounts: [], organizations: named } });

/**
 * Fixtures that must fire key-policy-cross-account and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'CreateKey with a policy naming other accounts',
      record: record('CreateKey.policy-other-accounts'),
      expect: { severity: 'high', evidence: { accounts: ['012345678901'] } },
    },
    {
      name: 'PutKeyPolicy naming an external root',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: 'kms:Decrypt',
          Resource: '*',
        }),
      }),
      expect: { severity: 'high', evidence: { accounts: ['999988887777'] } },
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    {
      name: 'Principal "*" held to an outside account by StringEquals kms:CallerAccount',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEquals: { 'kms:CallerAccount': '999988887777' } })),
      }),
      expect: { severity: 'high', evidence: { accounts: ['999988887777'] } },
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount
    {
      name: 'Principal "*" held to its own and an outside account by aws:PrincipalAccount',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(
          callerAccountExample({ StringEquals: { 'aws:PrincipalAccount': ['111122223333', '999988887777'] } }),
        ),
      }),
      expect: { severity: 'high', evidence: { accounts: ['999988887777'] } },
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    {
      name: 'Principal "*" held to another account\'s roles by aws:PrincipalArn',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(
          callerAccountExample({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::999988887777:role/app-*' } }),
        ),
      }),
      expect: { severity: 'high', evidence: { accounts: ['999988887777'] } },
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
    {
      name: 'Principal "*" held to an untrusted organisation by aws:PrincipalOrgID',
      record: heldBy({ StringEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } }),
      expect: organizations('o-attacker123'),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths
    {
      name: 'Principal "*" held to an OU of an untrusted organisation by aws:PrincipalOrgPaths',
      record: heldBy({
        'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-attacker123/r-ab12/ou-ab12-11111111/*' },
      }),
      expect: organizations('o-attacker123'),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceorgid
    {
      name: 'Principal "*" held to an untrusted organisation by aws:SourceOrgID',
      record: heldBy({ StringEquals: { 'aws:SourceOrgID': 'o-attacker' } }),
      expect: organizations('o-attacker'),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceorgpaths
    {
      name: 'Principal "*" held to an untrusted organisation by aws:SourceOrgPaths',
      record: heldBy({ 'ForAnyValue:StringLike': { 'aws:SourceOrgPaths': 'o-attacker123/r-ab12/*' } }),
      expect: organizations('o-attacker123'),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid
    {
      name: 'Principal "*" held to a role id kms-warden cannot tie to the account (aws:userid)',
      record: heldBy({ StringLike: { 'aws:userid': 'AROAATTACKER:*' } }),
      expect: cannotTie('AROAATTACKER:*'),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy
    {
      name: 'Principal "*" held to a VPC endpoint (aws:SourceVpce)',
      record: heldBy({ StringEquals: { 'aws:SourceVpce': 'vpce-0attacker' } }),
      expect: cannotTie('vpce-0attacker'),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy
    {
      name: 'Principal "*" held to a VPC (aws:SourceVpc)',
      record: heldBy({ StringEquals: { 'aws:SourceVpc': 'vpc-attacker' } }),
      expect: cannotTie('vpc-attacker'),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn
    {
      name: 'Principal "*" held to an S3 bucket, whose ARN names no account (aws:SourceArn)',
      record: heldBy({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::attacker-bucket' } }),
      expect: cannotTie('arn:aws:s3:::attacker-bucket'),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy and
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    {
      name: "the KMS guide's Deny but through a VPC endpoint, over an Allow of the same actions to everyone",
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policyWith(
          { ...anyoneMayUseTheKey, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] },
          vpceRestrictionExample('vpce-0295a3caf8414c94a'),
        ),
      }),
      expect: cannotTie('vpce-0295a3caf8414c94a'),
    },
    // origin: https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html
    {
      name: 'Principal {"AWS": "*"} guarded by a Deny for all outside an untrusted organisation',
      record: guardedBy(deniedToAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } })),
      expect: organizations('o-attacker123'),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    {
      name: 'Principal {"AWS": "*"} guarded by a Deny for all callers but an outside account',
      record: guardedBy(deniedToAllBut({ StringNotEquals: { 'kms:CallerAccount': '999988887777' } }, '*')),
      expect: { severity: 'high', evidence: { accounts: ['999988887777'] } },
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
    {
      name: 'Principal "*" held to an outside account\'s topic in any Region (ArnLike arn:aws:sns:*:999988887777:alerts)',
      record: heldBy({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:999988887777:alerts' } }),
      expect: { severity: 'high', evidence: { accounts: ['999988887777'] } },
    },
  ],
  noMatch: [
    { name: "the key's own account", record: record('PutKeyPolicy.default-policy') },
    {
      name: 'a trusted account',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'kms:Decrypt', Resource: '*' }),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    {
      name: 'Principal "*" held to a trusted account by kms:CallerAccount',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEquals: { 'kms:CallerAccount': '444455556666' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    {
      name: "the KMS guide's kms:CallerAccount example, held to the key's own account",
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(
          callerAccountExample({
            StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': 'ec2.us-west-2.amazonaws.com' },
          }),
        ),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
    {
      name: 'Principal "*" held to a trusted organisation',
      record: heldBy({ StringEquals: { 'aws:PrincipalOrgID': ['o-a1b2c3d4e5'] } }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths
    {
      name: 'Principal "*" held to an OU of a trusted organisation',
      record: heldBy({
        'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*' },
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy and
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    {
      name: 'Principal "*" held to a VPC endpoint and to its own account by kms:CallerAccount (both must hold)',
      record: heldBy({
        StringEquals: { 'aws:SourceVpce': 'vpce-0295a3caf8414c94a', 'kms:CallerAccount': '111122223333' },
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy and
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
    {
      name: 'Principal "*" held to a VPC and to a trusted organisation',
      record: heldBy({ StringEquals: { 'aws:SourceVpc': 'vpc-2b2b2b2b', 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
    },
    // origin: https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html
    // and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    {
      name: 'Principal {"AWS": "*"} guarded by a Deny for all outside a trusted organisation',
      record: guardedBy(deniedToAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } })),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    {
      name: 'Principal {"AWS": "*"} guarded by a Deny of "*" for all callers but its own account',
      record: guardedBy(deniedToAllBut({ StringNotEqualsIfExists: { 'kms:CallerAccount': '111122223333' } }, '*')),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
    {
      name: 'Principal "*" held to its own account\'s topic in any Region (ArnLike arn:aws:sns:*:111122223333:alerts)',
      record: heldBy({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:111122223333:alerts' } }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
    {
      name: 'Principal "*" held to its own role in any partition (ArnLike arn:*:iam::111122223333:role/app)',
      record: heldBy({ ArnLike: { 'aws:PrincipalArn': 'arn:*:iam::111122223333:role/app' } }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    {
      name: 'an Allow with NotPrincipal naming an outside account (an exception, not a grant: key-policy-public reports it)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(notPrincipalExample('Allow', { AWS: 'arn:aws:iam::999988887777:root' })),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    {
      name: 'Principal "*" with StringNotEquals kms:CallerAccount (open to all: key-policy-public reports it)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringNotEquals: { 'kms:CallerAccount': '111122223333' } })),
      }),
    },
    {
      name: 'a service principal',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 'kms:GenerateDataKey*',
          Resource: '*',
        }),
      }),
    },
    { name: 'CreateKey without a policy', record: record('CreateKey.external-origin') },
    { name: 'a failed call', record: failed(record('CreateKey.policy-other-accounts')) },
    { name: "the responder's own call", record: byResponder(record('CreateKey.policy-other-accounts')) },
    {
      name: 'an AWS service acting for a customer',
      record: invokedByService(record('CreateKey.policy-other-accounts')),
    },
  ],
};
