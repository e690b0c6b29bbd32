import { byResponder, failed, invokedByService, record, type ApiCallCase } from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire key-deletion-scheduled and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'a key administrator with a 20-day window',
      record: record('ScheduleKeyDeletion.iam-user'),
      expect: { severity: 'high', evidence: { pendingWindowInDays: 20, callerIsKeyAdministrator: true } },
    },
    {
      name: 'a role that is not a key administrator',
      record: record('ScheduleKeyDeletion.assumed-role'),
      expect: { severity: 'critical', evidence: { pendingWindowInDays: 30, callerIsKeyAdministrator: false } },
    },
    {
      name: 'a key administrator with the shortest window',
      record: {
        ...record('ScheduleKeyDeletion.iam-user'),
        requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', pendingWindowInDays: 7 },
      },
      expect: { severity: 'critical', evidence: { pendingWindowInDays: 7, callerIsKeyAdministrator: true } },
    },
    {
      name: 'a multi-Region replica',
      record: record('ScheduleKeyDeletion.multi-region-replica'),
      expect: { severity: 'high' },
    },
    {
      name: 'a key in a custom key store',
      record: record('ScheduleKeyDeletion.custom-key-store'),
      expect: { severity: 'high' },
    },
    {
      name: 'a record without resources[]',
      record: record('ScheduleKeyDeletion.assumed-role.missing-resources'),
      expect: { severity: 'critical' },
    },
  ],
  noMatch: [
    { name: 'a failed call', record: failed(record('ScheduleKeyDeletion.assumed-role')) },
    { name: "the responder's own call", record: byResponder(record('ScheduleKeyDeletion.assumed-role')) },
    {
      name: 'an AWS service acting for a customer',
      record: invokedByService(record('ScheduleKeyDeletion.assumed-role')),
    },
    { name: 'a different KMS call', record: record('DisableKey.assumed-role') },
    { name: 'cancelling a deletion', record: record('CancelKeyDeletion.iam-user') },
  ],
};
