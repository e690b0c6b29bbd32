import { byResponder, invokedByService, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/** Fixtures that must fire key-disabled and fixtures that must not (test/unit/detections/cases.test.ts runs them). */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'a role that is not a key administrator',
      record: record('DisableKey.assumed-role'),
      expect: { severity: 'high' },
    },
    { name: 'a key administrator', record: record('DisableKey.iam-user'), expect: { severity: 'medium' } },
  ],
  noMatch: [
    { name: 'a failed call (NotFoundException)', record: record('DisableKey.not-found-error') },
    { name: "the responder's own call", record: byResponder(record('DisableKey.assumed-role')) },
    { name: 'an AWS service acting for a customer', record: invokedByService(record('DisableKey.assumed-role')) },
    { name: 'enabling a key', record: record('EnableKey.iam-user') },
  ],
};
