import { apiCallDetection, isDirectSuccessfulCall, type Signal } from '../detection';
import { askAPerson, isolate } from '../responses';
import { accountOfKey, isExternalAccount } from '../../events/accounts';
import type { KmsApiCall } from '../../events/kms-api-call';
import type { PlannedAction } from '../../actions';

const kmsKeyHeader = 'x-amz-server-side-encryption-aws-kms-key-id';

/** Calls that write an object's data, and so name the KMS key it was encrypted under. */
const objectWrites = ['PutObject', 'CopyObject', 'CreateMultipartUpload'];

/**
 * How the outside key came to encrypt data:
 * - `request`: the writer named it (the ransomware pattern: rewrite objects under a key the attacker owns);
 * - `bucket-default`: the writer named no key and the bucket's default encryption chose it. S3 logs the key only in
 *   the response then, with `additionalEventData.SSEApplied` `Default_SSE_KMS`
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html, "Monitoring default encryption
 *   with CloudTrail"); the writer is likely an ordinary workload, and the bucket's setting is what is wrong;
 * - `bucket-default-set`: PutBucketEncryption made an outside key the bucket's default, so every later write the
 *   workloads make is encrypted under it.
 */
export type ForeignKeyRoute = 'request' | 'bucket-default' | 'bucket-default-set';

const stringAt = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The key PutBucketEncryption sets. CloudTrail logs S3 request bodies as their XML, element by element
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html); the body
 * is a ServerSideEncryptionConfiguration whose Rule (one, or a list) holds ApplyServerSideEncryptionByDefault's
 * KMSMasterKeyID (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html).
 */
export const defaultKeyOf = (requestParameters: Record<string, unknown>): string | undefined => {
  const configuration = requestParameters.ServerSideEncryptionConfiguration;
  if (!configuration || typeof configuration !== 'object') return undefined;
  const rule = (configuration as { Rule?: unknown }).Rule;
  for (const one of Array.isArray(rule) ? rule : [rule]) {
    const byDefault = (one as { ApplyServerSideEncryptionByDefault?: unknown } | undefined)
      ?.ApplyServerSideEncryptionByDefault as { KMSMasterKeyID?: unknown } | undefined;
    const key = stringAt(byDefault?.KMSMasterKeyID);
    if (key) return key;
  }
  return undefined;
};

/**
 * The key that encrypted the data, and how it was chosen. The response names the key S3 used, by ARN; the request
 * may name it by alias or bare id, which S3 resolves in the requester's account, not the bucket owner's
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, x-amz-server-side-encryption-aws-kms-key-id):
 * the response's ARN is read first.
 */
const foreignKeyOf = (event: KmsApiCall): { keyArn: string; route: ForeignKeyRoute } | undefined => {
  if (event.eventName === 'PutBucketEncryption') {
    const keyArn = defaultKeyOf(event.requestParameters);
    return keyArn ? { keyArn, route: 'bucket-default-set' } : undefined;
  }
  const requested = stringAt(event.requestParameters[kmsKeyHeader]);
  const applied = stringAt(event.responseElements[kmsKeyHeader]);
  const keyArn = [applied, requested].find((key) => key !== undefined && accountOfKey(key) !== undefined);
  if (!keyArn) return undefined;
  return { keyArn, route: requested ? 'request' : 'bucket-default' };
};

const bucketOf = (event: KmsApiCall) => String(event.requestParameters.bucketName ?? 'an unnamed bucket');

const fixTheBucket = (signal: Signal) =>
  askAPerson(
    `set s3://${String(signal.evidence.bucket)}'s default encryption back to a key of this account (PutBucketEncryption), find who made ${String(signal.evidence.keyAccount)}'s key its default (PutBucketEncryption in CloudTrail), and copy the objects written since in place under the right key`,
    "the bucket's encryption is S3's setting, not a key's: kms-warden does not change buckets",
  );

export const externalKeyEncryption = apiCallDetection({
  id: 'external-key-encryption',
  family: 'key-sabotage',
  title: "S3 data encrypted with another account's KMS key",
  severity: 'critical',
  mitre: ['T1486'],
  stage: 'destruction',
  // The key is the outsider's: nothing is done to it. Whoever chose it is isolated; a writer that only followed the
  // bucket's default is offered, as it is likelier a workload than the attacker.
  respond: (signal, facts): PlannedAction[] => {
    const route = signal.evidence.route as ForeignKeyRoute;
    const suspect: Signal = { ...signal, keyArn: undefined };
    if (route === 'request') return isolate(suspect, facts);
    // Set through a stack (CloudFormation acting for the caller): likelier a pipeline pointed at a central key account
    // not listed as trusted than an attacker, so its isolation is offered.
    if (route === 'bucket-default-set')
      return [...isolate(suspect, facts, signal.evidence.through ? 'approval' : 'automatic'), fixTheBucket(signal)];
    return [fixTheBucket(signal), ...isolate(suspect, facts, 'approval')];
  },
  appliesTo: [...objectWrites, 'PutBucketEncryption'],
  // Every object a workload writes under a bucket's outside default is the same finding: one signal an hour per writer,
  // bucket, key and route, not one per object (which would fill a story in 40 writes, and page again after).
  reportedOncePer: {
    hours: 1,
    subject: (signal) => `${String(signal.evidence.bucket)}|${signal.keyArn ?? ''}|${String(signal.evidence.route)}`,
  },
  detect: (event, settings) => {
    if (event.eventSource !== 's3.amazonaws.com' || !event.succeeded || event.byResponder) return null;
    const foreign = foreignKeyOf(event);
    if (!foreign) return null;
    // A key the writer named is its own choice: a service writing for a customer is not reported. A bucket's default
    // is reported whoever wrote under it (a service delivering logs too), and whoever set it (a stack too).
    if (foreign.route === 'request' && !isDirectSuccessfulCall(event)) return null;
    // Outside of the bucket owner's account. A write to another account's bucket is logged in both accounts
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html): the writer's copy is
    // the owner's business, under the owner's key.
    const owner = event.bucketOwner ?? event.accountId;
    if (event.bucketOwner !== undefined && event.accountId !== undefined && event.bucketOwner !== event.accountId)
      return null;
    const keyAccount = accountOfKey(foreign.keyArn);
    if (!isExternalAccount(keyAccount, owner, settings.trustedAccounts)) return null;
    const bucket = bucketOf(event);
    const summary =
      foreign.route === 'bucket-default-set'
        ? `${event.principal.arn} made a key of account ${keyAccount} the default encryption of s3://${bucket}: every object written there from now on is encrypted under it`
        : `${event.principal.arn} wrote s3://${bucket}/${String(event.requestParameters.key)} encrypted with a key of account ${keyAccount}${
            foreign.route === 'bucket-default' ? " (the bucket's default encryption chose it)" : ''
          }`;
    return {
      keyArn: foreign.keyArn,
      summary,
      evidence: {
        bucket,
        ...(foreign.route === 'bucket-default-set' ? {} : { objectKey: event.requestParameters.key }),
        keyAccount,
        route: foreign.route,
        ...(event.invokedBy ? { through: event.invokedBy } : {}),
      },
    };
  },
});
