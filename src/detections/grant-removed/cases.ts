import {
  byResponder,
  byRoot,
  failed,
  invokedByService,
  record,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire grant-removed and fixtures that must not (test/unit/detections/detectors.test.ts runs them).
 * Alice, who made both real records, is a key administrator in the tests' settings: her RevokeGrant is expected, her
 * RetireGrant is reported (low).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'RetireGrant by a person, a key administrator too',
      record: record('RetireGrant.iam-user'),
      expect: { severity: 'low', evidence: { callerIsKeyAdministrator: true } },
    },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    {
      name: 'RevokeGrant by root, not a key administrator',
      record: byRoot(record('RevokeGrant.iam-user')),
      expect: {
        severity: 'medium',
        evidence: {
          grantId: 'abcde1237f76e4ba7987489ac329fbfba6ad343d6f7075dbd1ef191f0120514a',
          callerIsKeyAdministrator: false,
        },
      },
    },
  ],
  noMatch: [
    { name: 'RevokeGrant by a key administrator', record: record('RevokeGrant.iam-user') },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
    { name: 'a failed call', record: failed(byRoot(record('RevokeGrant.iam-user'))) },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    { name: "the responder's own call", record: byResponder(record('RevokeGrant.iam-user')) },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    {
      name: 'an AWS service retiring its own grant',
      record: invokedByService(record('RetireGrant.iam-user'), 'ec2.amazonaws.com'),
    },
  ],
};
