import {
  byResponder,
  callerAccountExample,
  failed,
  invokedByService,
  notPrincipalExample,
  policy,
  record,
  withRequest,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

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
      name: 'Principal "*" held to an organisation (no single account)',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy(callerAccountExample({ StringEquals: { 'aws:PrincipalOrgID': ['o-xxxxxxxxxxx'] } })),
      }),
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
