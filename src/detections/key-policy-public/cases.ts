import {
  anyoneMayDecrypt,
  byResponder,
  failed,
  invokedByService,
  policy,
  record,
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
  ],
  noMatch: [
    { name: 'a policy naming its own account', record: record('PutKeyPolicy.default-policy') },
    { name: 'a policy naming specific roles', record: record('PutKeyPolicy.restricted') },
    {
      name: 'Principal "*" limited to the organisation',
      record: withRequest(record('PutKeyPolicy.default-policy'), {
        policy: policy({ ...anyoneMayDecrypt, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } }),
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
