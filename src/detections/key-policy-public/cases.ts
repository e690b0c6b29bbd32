import {
  anyoneMayDecrypt,
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

/**
 * Fixtures that must fire key-policy-public and fixtures that must not (test/unit/detections/cases.test.ts runs them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    { name: 'Principal "*" with no condition', record: record('PutKeyPolicy.wildcard-principal') },
    {
      name: 'Principal {"AWS": "*"} in a policy string',
      record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy(anyoneMayDecrypt) }),
    },
    {
      name: 'a condition that does not limit the caller',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({ ...anyoneMayDecrypt, Condition: { Bool: { 'aws:SecureTransport': 'true' } } }),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    {
      name: 'an Allow with NotPrincipal (everyone but Bob)',
      record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy(notPrincipalExample('Allow')) }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    // and reference_policies_elements_condition_operators.html (StringNotEquals: negated matching)
    {
      name: 'Principal "*" with StringNotEquals kms:CallerAccount (every other account)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringNotEquals: { 'kms:CallerAccount': '111122223333' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    {
      name: 'Principal "*" with StringLike kms:CallerAccount "*"',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringLike: { 'kms:CallerAccount': '*' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
    {
      name: 'Principal "*" held to a service only (kms:ViaService names no caller)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEquals: { 'kms:ViaService': 'ec2.us-west-2.amazonaws.com' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    {
      name: 'Principal "*" with aws:PrincipalArn of any account (arn:aws:iam::*:role/x)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/x' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
    {
      name: 'Principal "*" with StringEqualsIfExists aws:PrincipalOrgID (principals in no organisation pass)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc123' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html
    // (IfExists on a principal key is paired with aws:PrincipalIsAWSService: service principals do not carry it)
    {
      name: 'Principal "*" with StringEqualsIfExists aws:PrincipalAccount, the own account (service principals pass)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEqualsIfExists: { 'aws:PrincipalAccount': '111122223333' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy and
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    {
      name: "a Deny but through one VPC endpoint that leaves the Allow's kms:CreateGrant and kms:DescribeKey open",
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policyWith(
          callerAccountExample({ StringEquals: { 'kms:ViaService': 'ec2.us-west-2.amazonaws.com' } }),
          vpceRestrictionExample('vpce-0295a3caf8414c94a'),
        ),
      }),
    },
    // origin: https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html
    {
      name: 'Principal {"AWS": "*"} with a Deny of one organisation only (StringEquals: everyone else passes)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policyWith(
          anyoneMayUseTheKey,
          deniedToAllBut({ StringEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } }),
        ),
      }),
    },
  ],
  noMatch: [
    { name: 'a policy naming its own account', record: record('PutKeyPolicy.default-policy') },
    { name: 'a policy naming specific roles', record: record('PutKeyPolicy.restricted') },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
    {
      name: 'Principal "*" limited to a trusted organisation',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({
          ...anyoneMayDecrypt,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        }),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
    {
      name: 'Principal "*" held to its own account\'s topic in any Region (ArnLike arn:aws:sns:*:111122223333:alerts)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:111122223333:alerts' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
    {
      name: 'Principal "*" held to its own role in any partition (ArnLike arn:*:iam::111122223333:role/app)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ ArnLike: { 'aws:PrincipalArn': 'arn:*:iam::111122223333:role/app' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy
    {
      name: 'Principal "*" limited to a VPC endpoint (key-policy-cross-account reports it)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEquals: { 'aws:SourceVpce': 'vpce-0attacker' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html
    // and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    {
      name: 'Principal {"AWS": "*"} guarded by a Deny for all outside a trusted organisation',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policyWith(
          anyoneMayUseTheKey,
          deniedToAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
        ),
      }),
    },
    // origin: https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html
    {
      name: 'the same guard on "*" with StringNotEqualsIfExists and BoolIfExists aws:PrincipalIsAWSService',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policyWith(
          anyoneMayUseTheKey,
          deniedToAllBut(
            {
              StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
              BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
            },
            '*',
          ),
        ),
      }),
    },
    // origin: https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html
    {
      name: 'the guard naming an untrusted organisation (key-policy-cross-account reports it)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policyWith(
          anyoneMayUseTheKey,
          deniedToAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } }),
        ),
      }),
    },
    {
      name: 'Principal "*" limited to a service and account',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({
          ...anyoneMayDecrypt,
          Condition: {
            StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:CallerAccount': '111122223333' },
          },
        }),
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
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
    {
      name: 'Principal "*" with StringEqualsIfExists kms:CallerAccount, the own account (always present: still limits)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEqualsIfExists: { 'kms:CallerAccount': '111122223333' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    {
      name: 'Principal "*" held to an outside account (key-policy-cross-account reports it)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEquals: { 'kms:CallerAccount': '999988887777' } })),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    {
      name: 'Principal "*" held to another account\'s role by aws:PrincipalArn (key-policy-cross-account reports it)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(
          callerAccountExample({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::999988887777:role/app-*' } }),
        ),
      }),
    },
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    {
      name: 'a Deny with NotPrincipal (a restriction)',
      record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy(notPrincipalExample('Deny')) }),
    },
    {
      name: 'a Deny for everyone',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({ ...anyoneMayDecrypt, Effect: 'Deny' }),
      }),
    },
    { name: 'a failed call', record: failed(record('PutKeyPolicy.wildcard-principal')) },
    { name: "the responder's own call", record: byResponder(record('PutKeyPolicy.wildcard-principal')) },
    {
      name: 'an AWS service acting for a customer',
      record: invokedByService(record('PutKeyPolicy.wildcard-principal')),
    },
    {
      name: 'a policy that is not JSON',
      record: withRequest(record('PutKeyPolicy.default-policy'), { policy: '{"Statement": [' }),
    },
  ],
};
