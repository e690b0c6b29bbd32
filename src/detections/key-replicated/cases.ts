import { byResponder, failed, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/** Fixtures that must fire key-replicated and fixtures that must not (test/unit/detections/cases.test.ts runs them). */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'ReplicateKey',
      record: record('ReplicateKey.iam-user'),
      expect: { severity: 'medium', evidence: { region: 'us-west-2' } },
    },
    { name: 'UpdatePrimaryRegion', record: record('UpdatePrimaryRegion.iam-user') },
  ],
  noMatch: [
    { name: 'KMS completing the primary Region change', record: record('UpdatePrimaryRegion.invoked-by-kms') },
    { name: 'a failed call', record: failed(record('ReplicateKey.iam-user')) },
    { name: "the responder's own call", record: byResponder(record('ReplicateKey.iam-user')) },
  ],
};
