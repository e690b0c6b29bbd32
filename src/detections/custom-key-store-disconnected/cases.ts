import {
  byResponder,
  byRoot,
  failed,
  invokedByService,
  record,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire custom-key-store-disconnected and fixtures that must not
 * (test/unit/detections/detectors.test.ts runs them). Alice, who made both real records, is a key administrator in
 * the tests' settings; the same calls by root stand for anyone else (the operations have no cross-account use).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    {
      name: 'DisconnectCustomKeyStore by root, not a key administrator',
      record: byRoot(record('DisconnectCustomKeyStore.iam-user')),
      expect: { severity: 'high', evidence: { callerIsKeyAdministrator: false } },
    },
    {
      name: 'DisconnectCustomKeyStore by a key administrator',
      record: record('DisconnectCustomKeyStore.iam-user'),
      expect: {
        severity: 'medium',
        evidence: { customKeyStoreId: 'cks-1234567890abcdef0', callerIsKeyAdministrator: true },
      },
    },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    {
      name: 'DeleteCustomKeyStore by root, not a key administrator',
      record: byRoot(record('DeleteCustomKeyStore.iam-user')),
      expect: { severity: 'medium', evidence: { callerIsKeyAdministrator: false } },
    },
    {
      name: 'DeleteCustomKeyStore by a key administrator',
      record: record('DeleteCustomKeyStore.iam-user'),
      expect: { severity: 'low', evidence: { callerIsKeyAdministrator: true } },
    },
  ],
  noMatch: [
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
    { name: 'a failed call', record: failed(byRoot(record('DisconnectCustomKeyStore.iam-user'))) },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    { name: "the responder's own call", record: byResponder(record('DisconnectCustomKeyStore.iam-user')) },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    {
      name: 'an AWS service acting for a customer',
      record: invokedByService(byRoot(record('DeleteCustomKeyStore.iam-user'))),
    },
  ],
};
