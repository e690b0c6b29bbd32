import { byResponder, failed, invokedByService, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire key-material-imported and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [{ name: 'ImportKeyMaterial', record: record('ImportKeyMaterial.iam-user'), expect: { severity: 'medium' } }],
  noMatch: [
    { name: 'a failed call', record: failed(record('ImportKeyMaterial.iam-user')) },
    { name: "the responder's own call", record: byResponder(record('ImportKeyMaterial.iam-user')) },
    { name: 'an AWS service acting for a customer', record: invokedByService(record('ImportKeyMaterial.iam-user')) },
  ],
};
