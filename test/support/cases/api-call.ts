import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { byResponder, byRoot, failed, fromAccount, invokedByService, record, renamed, withRequest } from '../records';

export interface ApiCallCase {
  name: string;
  record: CloudTrailRecord;
  expect?: { severity: string; evidence?: Record<string, unknown> };
}

/** An S3 PutObject data event (CloudTrail's documented shape) writing an object under the given KMS key. */
export const s3PutObject = (keyArn: string): CloudTrailRecord => ({
  eventVersion: '1.08',
  userIdentity: {
    type: 'IAMUser',
    arn: 'arn:aws:iam::111122223333:user/Alice',
    accountId: '111122223333',
    userName: 'Alice',
  },
  eventTime: '2026-11-20T10:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutObject',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.9',
  userAgent: '[aws-cli/2.22.4]',
  requestParameters: {
    bucketName: 'ledger-exports',
    key: 'exports/2026-11-20.csv',
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': keyArn,
  },
  responseElements: { 'x-amz-server-side-encryption': 'aws:kms' },
  eventID: `s3-${keyArn.slice(-6)}`,
  readOnly: false,
  resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::ledger-exports/exports/2026-11-20.csv' }],
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
});

export const policy = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
export const anyoneMayDecrypt = { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' };

/** Per detector: records that must fire it and records that must not. Every registered detector needs both. */
export { byResponder, byRoot, failed, fromAccount, invokedByService, record, renamed, withRequest };

/**
 * The KMS developer guide's kms:CallerAccount example statement (Principal "*" held to account 111122223333 through
 * EBS), with its Condition replaced: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
 */
export const callerAccountExample = (Condition: Record<string, Record<string, unknown>>) => ({
  Sid: 'Allow access through EBS for all principals in the account that are authorized to use EBS',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Condition,
  Action: [
    'kms:Encrypt',
    'kms:Decrypt',
    'kms:ReEncrypt*',
    'kms:GenerateDataKey*',
    'kms:CreateGrant',
    'kms:DescribeKey',
  ],
  Resource: '*',
});

const bobAndHisAccount = { AWS: ['arn:aws:iam::444455556666:user/Bob', 'arn:aws:iam::444455556666:root'] };

/**
 * The IAM User Guide's NotPrincipal example (everyone but Bob and his account 444455556666), as a key policy statement
 * with the given Effect: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 */
export const notPrincipalExample = (Effect: 'Allow' | 'Deny', NotPrincipal: unknown = bobAndHisAccount) => ({
  Effect,
  NotPrincipal,
  Action: 'kms:*',
  Resource: '*',
});

/** A key policy of several statements, as PutKeyPolicy carries it. */
export const policyWith = (...statements: Array<Record<string, unknown>>) =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** An Allow of every KMS action to every AWS principal: the first half of the data perimeter's guarded policy. */
export const anyoneMayUseTheKey = { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' };

/**
 * The data perimeter's identity guard as a key policy statement: everyone is denied the key but the callers the
 * negated condition spares
 * (https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html).
 */
export const deniedToAllBut = (Condition: Record<string, Record<string, unknown>>, Action: unknown = 'kms:*') => ({
  Sid: 'EnforceIdentityPerimeter',
  Effect: 'Deny',
  Principal: '*',
  Action,
  Resource: '*',
  Condition,
});

/**
 * The KMS developer guide's VPC endpoint statement: its cryptographic operations denied but through one endpoint
 * (https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy).
 */
export const vpceRestrictionExample = (endpoint: string) => ({
  Sid: 'Restrict usage to my VPC endpoint',
  Effect: 'Deny',
  Principal: '*',
  Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
  Resource: '*',
  Condition: { StringNotEquals: { 'aws:sourceVpce': endpoint } },
});
