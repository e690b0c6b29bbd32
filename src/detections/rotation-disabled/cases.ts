import { byResponder, failed, invokedByService, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire rotation-disabled and fixtures that must not (test/unit/detections/cases.test.ts runs them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    { name: 'DisableKeyRotation', record: record('DisableKeyRotation.iam-user'), expect: { severity: 'medium' } },
  ],
  noMatch: [
    { name: 'a failed call', record: failed(record('DisableKeyRotation.iam-user')) },
    { name: "the responder's own call", record: byResponder(record('DisableKeyRotation.iam-user')) },
    { name: 'an AWS service acting for a customer', record: invokedByService(record('DisableKeyRotation.iam-user')) },
  ],
};
