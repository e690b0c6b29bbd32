import { byRoot, failed, invokedByService, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/** Fixtures that must fire root-key-use and fixtures that must not (test/unit/detections/cases.test.ts runs them). */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    { name: 'DisableKey by root', record: byRoot(record('DisableKey.iam-user')) },
    {
      name: 'a failed Decrypt by root',
      record: failed(byRoot(record('Decrypt.iam-user'))),
      expect: { severity: 'high', evidence: { succeeded: false } },
    },
  ],
  noMatch: [
    { name: 'an IAM user', record: record('DisableKey.iam-user') },
    { name: 'an AWS service acting for root', record: invokedByService(byRoot(record('Decrypt.iam-user'))) },
  ],
};
