import { failed, fromAccount, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire cross-account-key-use and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'Decrypt by a user of another account',
      record: fromAccount(record('Decrypt.iam-user'), '999988887777'),
      expect: { severity: 'high', evidence: { callerAccount: '999988887777' } },
    },
  ],
  noMatch: [
    { name: 'Decrypt in the same account', record: record('Decrypt.iam-user') },
    { name: 'Decrypt from a trusted account', record: fromAccount(record('Decrypt.iam-user'), '444455556666') },
    {
      name: "CloudTrail's service account writing logs for the customer",
      record: record('GenerateDataKey.cloudtrail-service-account'),
    },
    { name: 'DynamoDB acting for a customer', record: record('Decrypt.invoked-by-dynamodb') },
    { name: 'a failed call', record: failed(fromAccount(record('Decrypt.iam-user'), '999988887777')) },
  ],
};
