import type { CloudTrailRecord } from '../../events/cloudtrail-record';
import {
  byResponder,
  failed,
  fromAccount,
  invokedByService,
  renamed,
  s3PutObject,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

const outsideKey = 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ownKey = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const trustedKey = 'arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * A write that named no key, encrypted by the bucket's default: S3 logs the key in the response only, and
 * `"SSEApplied":"Default_SSE_KMS"` (origin: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html,
 * "Monitoring default encryption with CloudTrail"; the rest is s3PutObject's documented data-event shape).
 */
const byBucketDefault = (keyArn: string): CloudTrailRecord => {
  const write = s3PutObject(keyArn);
  const {
    'x-amz-server-side-encryption': _sse,
    'x-amz-server-side-encryption-aws-kms-key-id': _key,
    ...request
  } = write.requestParameters!;
  // additionalEventData is kept as CloudTrail writes it; kms-warden's schema does not read it.
  return {
    ...write,
    eventID: `s3-default-${keyArn.slice(-6)}`,
    requestParameters: request,
    responseElements: {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': keyArn,
    },
    additionalEventData: { SignatureVersion: 'SigV4', SSEApplied: 'Default_SSE_KMS', bytesTransferredIn: 2048 },
  } as CloudTrailRecord;
};

/**
 * PutBucketEncryption as CloudTrail logs it: the request body's XML as JSON, element by element, as the S3 guide's
 * PutBucketAcl example shows its AccessControlPolicy (origin:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html), with the
 * body PutBucketEncryption takes (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html).
 */
const putBucketEncryption = (byDefault: Record<string, unknown>): CloudTrailRecord =>
  ({
    ...s3PutObject(ownKey),
    eventName: 'PutBucketEncryption',
    eventID: `s3-encryption-${JSON.stringify(byDefault).length}-${String(byDefault.KMSMasterKeyID ?? 'none').slice(-6)}`,
    eventType: 'AwsApiCall',
    managementEvent: true,
    requestParameters: {
      bucketName: 'ledger-exports',
      Host: 'ledger-exports.s3.us-east-1.amazonaws.com',
      encryption: '',
      ServerSideEncryptionConfiguration: {
        xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
        Rule: { ApplyServerSideEncryptionByDefault: byDefault, BucketKeyEnabled: true },
      },
    },
    responseElements: null,
    resources: [{ accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::ledger-exports' }],
  }) as CloudTrailRecord;

/**
 * A write as S3 data events name its resources, the object and the bucket with its owner's account (origin:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html), logged in
 * `recipient`'s trail.
 */
const withBucket = (write: CloudTrailRecord, owner: string, recipient: string): CloudTrailRecord => ({
  ...write,
  eventID: `${write.eventID}-${recipient}`,
  recipientAccountId: recipient,
  resources: [
    { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::ledger-exports/exports/2026-11-20.csv' },
    { accountId: owner, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::ledger-exports' },
  ],
});

/**
 * Fixtures that must fire external-key-encryption and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'PutObject under a key of another account',
      record: s3PutObject(outsideKey),
      expect: {
        severity: 'critical',
        evidence: { keyAccount: '999988887777', bucket: 'ledger-exports', route: 'request' },
      },
    },
    { name: 'CopyObject under a key of another account', record: renamed(s3PutObject(outsideKey), 'CopyObject') },
    {
      name: 'a multipart upload started under a key of another account',
      record: renamed(s3PutObject(outsideKey), 'CreateMultipartUpload'),
    },
    {
      // An alias or bare id resolves in the requester's account (origin:
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html): the response names the key used.
      name: "PutObject naming an alias, which S3 resolved to an outside account's key",
      record: {
        ...s3PutObject(outsideKey),
        requestParameters: {
          ...s3PutObject(outsideKey).requestParameters,
          'x-amz-server-side-encryption-aws-kms-key-id': 'alias/ransom',
        },
        responseElements: {
          'x-amz-server-side-encryption': 'aws:kms',
          'x-amz-server-side-encryption-aws-kms-key-id': outsideKey,
        },
      },
      expect: { severity: 'critical', evidence: { keyAccount: '999988887777', route: 'request' } },
    },
    {
      name: "another account's user writing into this account's bucket under its own account's key (the owner's copy)",
      record: withBucket(fromAccount(s3PutObject(outsideKey), '999988887777'), '111122223333', '111122223333'),
      expect: { severity: 'critical', evidence: { keyAccount: '999988887777', route: 'request' } },
    },
    {
      name: "PutObject encrypted by the bucket's default, an outside key",
      record: byBucketDefault(outsideKey),
      expect: { severity: 'critical', evidence: { keyAccount: '999988887777', route: 'bucket-default' } },
    },
    {
      name: "an AWS service's write encrypted by the bucket's default, an outside key",
      record: invokedByService(byBucketDefault(outsideKey)),
    },
    {
      name: "PutBucketEncryption making an outside key the bucket's default",
      record: putBucketEncryption({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: outsideKey }),
      expect: {
        severity: 'critical',
        evidence: { keyAccount: '999988887777', bucket: 'ledger-exports', route: 'bucket-default-set' },
      },
    },
    {
      name: "PutBucketEncryption making an outside account's alias the default",
      record: putBucketEncryption({
        SSEAlgorithm: 'aws:kms:dsse',
        KMSMasterKeyID: 'arn:aws:kms:us-east-1:999988887777:alias/ledger',
      }),
    },
    {
      name: 'PutBucketEncryption by a stack (invokedBy CloudFormation) setting an outside key',
      record: invokedByService(putBucketEncryption({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: outsideKey })),
    },
  ],
  noMatch: [
    { name: "PutObject under the account's own key", record: s3PutObject(ownKey) },
    { name: 'PutObject under a trusted account key', record: s3PutObject(trustedKey) },
    { name: 'a failed call', record: failed(s3PutObject(outsideKey)) },
    { name: "kms-warden's own write", record: byResponder(s3PutObject(outsideKey)) },
    { name: 'a service naming an outside key for a customer', record: invokedByService(s3PutObject(outsideKey)) },
    { name: "PutObject encrypted by the bucket's default, the account's own key", record: byBucketDefault(ownKey) },
    {
      // The writer's account logs a write to a partner's bucket too: the partner's default key is the partner's own.
      name: "this account's write to a partner's bucket, encrypted by that bucket's default key (the writer's copy)",
      record: withBucket(byBucketDefault(outsideKey), '999988887777', '111122223333'),
    },
    { name: "PutObject encrypted by the bucket's default, a trusted key", record: byBucketDefault(trustedKey) },
    {
      name: 'PutObject under SSE-S3 (no KMS key anywhere)',
      record: {
        ...byBucketDefault(outsideKey),
        responseElements: { 'x-amz-server-side-encryption': 'AES256' },
        additionalEventData: { SSEApplied: 'Default_SSE_S3' },
      } as CloudTrailRecord,
    },
    {
      name: "PutBucketEncryption with the account's own key",
      record: putBucketEncryption({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ownKey }),
    },
    {
      // A bare key id resolves in the requester's account, here the bucket owner's (API_PutBucketEncryption.html: a key
      // in another account must be named by its ARN).
      name: 'PutBucketEncryption with a bare key id',
      record: putBucketEncryption({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
    },
    { name: 'PutBucketEncryption with SSE-S3', record: putBucketEncryption({ SSEAlgorithm: 'AES256' }) },
    {
      name: 'a refused PutBucketEncryption',
      record: failed(putBucketEncryption({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: outsideKey }), 'AccessDenied'),
    },
  ],
};
