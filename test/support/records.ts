import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudTrailRecord } from '../../src/events/cloudtrail-record';

const fixtures = join(__dirname, '..', 'fixtures');

/** A single CloudTrail record from test/fixtures/cloudtrail (see ORIGINS.md). */
export const record = (name: string): CloudTrailRecord =>
  JSON.parse(readFileSync(join(fixtures, 'cloudtrail', `${name}.json`), 'utf8')) as CloudTrailRecord;

/** Every record of an NDJSON file in test/fixtures/real. */
export const realRecords = (file: string): unknown[] =>
  readFileSync(join(fixtures, 'real', file), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as unknown);

export { viaEventBridge } from '../../src/local/cloudtrail-records';

// Derived negatives: each changes only the fields it names.
export const failed = (r: CloudTrailRecord, errorCode = 'AccessDeniedException'): CloudTrailRecord => ({
  ...r,
  errorCode,
  errorMessage: `User is not authorized to perform: kms:${r.eventName}`,
  responseElements: null,
});

/**
 * The responder's own role in the accounts the fixtures use: the role ARNs the stack gives kms-warden
 * (RESPONDER_ROLE_ARNS).
 */
export const responderRoleName = 'kms-warden-test-us-east-1-on-kms-api-call';
export const responderRoles = ['111122223333', '123456789012', '444455556666'].map(
  (account) => `arn:aws:iam::${account}:role/kms-warden/test/${responderRoleName}`,
);

/** The record as a call of a session of `roleName` under `rolePath`: by default, kms-warden's own role. */
export const byResponder = (
  r: CloudTrailRecord,
  roleName = responderRoleName,
  rolePath = '/kms-warden/test/',
): CloudTrailRecord => {
  const account = r.recipientAccountId ?? '123456789012';
  return {
    ...r,
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLERESPONDER:kms-warden-test-onKmsApiCall',
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/kms-warden-test-onKmsApiCall`,
      accountId: account,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLERESPONDER',
          arn: `arn:aws:iam::${account}:role${rolePath}${roleName}`,
          accountId: account,
          userName: roleName,
        },
      },
    },
  };
};

export const invokedByService = (r: CloudTrailRecord, service = 'cloudformation.amazonaws.com'): CloudTrailRecord => ({
  ...r,
  userIdentity: { ...r.userIdentity, invokedBy: service },
  sourceIPAddress: service,
});

export const withRequest = (r: CloudTrailRecord, requestParameters: Record<string, unknown>): CloudTrailRecord => ({
  ...r,
  requestParameters: { ...r.requestParameters, ...requestParameters },
});

export const renamed = (r: CloudTrailRecord, eventName: string): CloudTrailRecord => ({ ...r, eventName });

/** The same call made by a principal of another account (its own user named like the original). */
export const fromAccount = (r: CloudTrailRecord, account: string): CloudTrailRecord => ({
  ...r,
  userIdentity: {
    ...r.userIdentity,
    accountId: account,
    arn: r.userIdentity?.arn?.replace(/::\d{12}:/, `::${account}:`),
  },
});

export const byRoot = (r: CloudTrailRecord): CloudTrailRecord => {
  const account = r.recipientAccountId ?? '111122223333';
  return {
    ...r,
    userIdentity: { type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account },
  };
};
