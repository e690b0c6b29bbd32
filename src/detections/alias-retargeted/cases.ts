import { byResponder, failed, invokedByService, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire alias-retargeted and fixtures that must not (test/unit/detections/cases.test.ts runs them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    { name: 'UpdateAlias', record: record('UpdateAlias.iam-user'), expect: { severity: 'medium' } },
    { name: 'DeleteAlias', record: record('DeleteAlias.iam-user'), expect: { severity: 'medium' } },
  ],
  noMatch: [
    { name: 'a failed call', record: failed(record('UpdateAlias.iam-user')) },
    { name: "the responder's own call", record: byResponder(record('UpdateAlias.iam-user')) },
    { name: 'an AWS service acting for a customer', record: invokedByService(record('DeleteAlias.iam-user')) },
  ],
};
