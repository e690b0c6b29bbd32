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

const foreignKeyOf = (event: KmsApiCall): { keyArn: string; route: ForeignKeyRoute } | undefined => {
  if (event.eventName === 'PutBucketEncryption') {
    const keyArn = defaultKeyOf(event.requestParameters);
    return keyArn ? { keyArn, route: 'bucket-default-set' } : undefined;
  }
  const requested = stringAt(event.requestParameters[kmsKeyHeader]);
  if (requested) return { keyArn: requested, route: 'request' };
  const applied = stringAt(event.responseElements[kmsKeyHeader]);
  return applied ? { keyArn: applied, route: 'bucket-default' } : undefined;
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
    if (route === 'bucket-default-set') return [...isolate(suspect, facts), fixTheBucket(signal)];
    return [fixTheBucket(signal), ...isolate(suspect, facts, 'approval')];
  },
  appliesTo: [...objectWrites, 'PutBucketEncryption'],
  detect: (event, settings) => {
    if (event.eventSource !== 's3.amazonaws.com' || !event.succeeded || event.byResponder) return null;
    const foreign = foreignKeyOf(event);
    if (!foreign) return null;
    // A key the writer named is its own choice: a service writing for a customer is not reported. A bucket's default
    // is reported whoever wrote under it (a service delivering logs too), and whoever set it (a stack too).
    if (foreign.route === 'request' && !isDirectSuccessfulCall(event)) return null;
    const keyAccount = accountOfKey(foreign.keyArn);
    if (!isExternalAccount(keyAccount, event.accountId, settings.trustedAccounts)) return null;
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
      },
    };
  },
});
