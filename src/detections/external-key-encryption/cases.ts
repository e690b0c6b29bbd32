import { failed, renamed, s3PutObject, type ApiCallCase } from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire external-key-encryption and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'PutObject under a key of another account',
      record: s3PutObject('arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      expect: { severity: 'critical', evidence: { keyAccount: '999988887777', bucket: 'ledger-exports' } },
    },
    {
      name: 'CopyObject under a key of another account',
      record: renamed(
        s3PutObject('arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
        'CopyObject',
      ),
    },
  ],
  noMatch: [
    {
      name: "PutObject under the account's own key",
      record: s3PutObject('arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    },
    {
      name: 'PutObject under a trusted account key',
      record: s3PutObject('arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    },
    {
      name: 'a failed call',
      record: failed(s3PutObject('arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab')),
    },
  ],
};
