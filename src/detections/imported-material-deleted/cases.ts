import {
  byResponder,
  failed,
  invokedByService,
  record,
  renamed,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire imported-material-deleted and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'DeleteImportedKeyMaterial',
      record: renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial'),
      expect: { severity: 'critical' },
    },
  ],
  noMatch: [
    { name: 'importing material', record: record('ImportKeyMaterial.iam-user') },
    {
      name: 'a failed call',
      record: failed(renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial')),
    },
    {
      name: "the responder's own call",
      record: byResponder(renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial')),
    },
    {
      name: 'an AWS service acting for a customer',
      record: invokedByService(renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial')),
    },
  ],
};
