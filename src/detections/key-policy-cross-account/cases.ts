import {
  byResponder,
  failed,
  invokedByService,
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
  ],
  noMatch: [
    { name: "the key's own account", record: record('PutKeyPolicy.default-policy') },
    {
      name: 'a trusted account',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'kms:Decrypt', Resource: '*' }),
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
