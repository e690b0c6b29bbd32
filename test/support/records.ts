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

export const byResponder = (r: CloudTrailRecord, rolePath = '/kms-warden/test/'): CloudTrailRecord => {
  const account = r.recipientAccountId ?? '123456789012';
  return {
    ...r,
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLERESPONDER:kms-warden-test-onKmsApiCall',
      arn: `arn:aws:sts::${account}:assumed-role/OnKmsApiCallRole/kms-warden-test-onKmsApiCall`,
      accountId: account,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLERESPONDER',
          arn: `arn:aws:iam::${account}:role${rolePath}OnKmsApiCallRole`,
          accountId: account,
          userName: 'OnKmsApiCallRole',
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
  return { ...r, userIdentity: { type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account } };
};
