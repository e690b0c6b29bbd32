import type { CloudTrailRecord } from './cloudtrail-record';
import { partitionOf } from './accounts';
import { isSamePrincipal, normalisePrincipal, type Principal } from './principal';

/** One KMS API call, normalised from a CloudTrail record: what every detector reads. */
export interface KmsApiCall {
  eventId: string;
  /** Set when CloudTrail logged the call in two accounts (cross-account): both records carry it. */
  sharedEventId?: string | undefined;
  /**
   * The account owning the S3 bucket an S3 call acted on, as its record's resources name it (a write to another
   * account's bucket is logged in both accounts): unset for other calls.
   */
  bucketOwner?: string | undefined;
  eventSource: string;
  eventName: string;
  eventTime: string;
  region: string;
  accountId: string | undefined;
  keyArn: string | undefined;
  principal: Principal;
  succeeded: boolean;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  sourceIp: string | undefined;
  userAgent: string | undefined;
  vpcEndpointId: string | undefined;
  /** Set when an AWS service made the call for a customer (userIdentity.invokedBy, or a service as the source). */
  invokedBy: string | undefined;
  /** Made by one of kms-warden's own roles: never reacted to. */
  byResponder: boolean;
  requestParameters: Record<string, unknown>;
  responseElements: Record<string, unknown>;
}

/**
 * The action a record is of: its eventID, or the sharedEventID both accounts' records of one cross-account call carry.
 * Counting by it counts such a call once, whichever copies arrive.
 */
export const actionIdOf = (call: Pick<KmsApiCall, 'eventId' | 'sharedEventId'>): string =>
  call.sharedEventId ?? call.eventId;

export interface NormaliseOptions {
  /** kms-warden's own role ARNs: their sessions' calls are the responder's own. */
  responderRoles: readonly string[];
}

const keyArnPattern = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;
const bareKeyId = /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The key a call acted on. resources[] carries the full ARN even when the request named the key by id, alias or
 * not at all (symmetric Decrypt omits keyId); then the request or the response; then an id completed with the
 * record's region and account.
 */
export const keyArnOf = (record: CloudTrailRecord): string | undefined => {
  // Alias operations list the alias and the key, not always typed: the key is the entry with a key ARN.
  const fromResources = record.resources?.find((r) => r.ARN && keyArnPattern.test(r.ARN))?.ARN;
  if (fromResources) return fromResources;
  const requested = asString(record.requestParameters?.keyId);
  if (requested && keyArnPattern.test(requested)) return requested;
  const responded = asString(record.responseElements?.keyId);
  if (responded && keyArnPattern.test(responded)) return responded;
  const account = record.recipientAccountId ?? record.userIdentity?.accountId;
  if (requested && bareKeyId.test(requested) && account)
    return `arn:${partitionOf(record.awsRegion)}:kms:${record.awsRegion}:${account}:key/${requested}`;
  return undefined;
};

const accountIdPattern = /^\d{12}$/;
const bucketOwnerOf = (record: CloudTrailRecord): { bucketOwner?: string } => {
  if (record.eventSource !== 's3.amazonaws.com') return {};
  const owner = record.resources?.find((r) => r.type === 'AWS::S3::Bucket')?.accountId;
  return owner && accountIdPattern.test(owner) ? { bucketOwner: owner } : {};
};

const serviceHost = /\.amazonaws\.com$/;
/** Already in the form the schemas produce: no need to parse and print it again. */
const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const invokedByOf = (record: CloudTrailRecord): string | undefined => {
  if (record.userIdentity?.invokedBy) return record.userIdentity.invokedBy;
  const source = record.sourceIPAddress;
  if (source && (source === 'AWS Internal' || serviceHost.test(source))) return source;
  if (record.userIdentity?.type === 'AWSService') return record.userIdentity.invokedBy ?? 'AWS service';
  return undefined;
};

export const normaliseKmsApiCall = (record: CloudTrailRecord, options: NormaliseOptions): KmsApiCall => {
  const accountId = record.recipientAccountId ?? record.userIdentity?.accountId;
  const principal = normalisePrincipal(record.userIdentity, accountId);
  // The exact roles (account and name: a role's name is unique in its account), never a path anyone may create roles
  // under.
  const byResponder =
    principal.kind === 'assumed-role' && options.responderRoles.some((role) => isSamePrincipal(principal.arn, role));
  return {
    eventId: record.eventID,
    ...(record.sharedEventID === undefined ? {} : { sharedEventId: record.sharedEventID }),
    ...bucketOwnerOf(record),
    eventSource: record.eventSource,
    eventName: record.eventName,
    eventTime: isoMillis.test(record.eventTime) ? record.eventTime : new Date(record.eventTime).toISOString(),
    region: record.awsRegion,
    accountId,
    keyArn: keyArnOf(record),
    principal,
    succeeded: record.errorCode === undefined,
    errorCode: record.errorCode,
    errorMessage: record.errorMessage,
    sourceIp: record.sourceIPAddress,
    userAgent: record.userAgent,
    vpcEndpointId: record.vpcEndpointId,
    invokedBy: invokedByOf(record),
    byResponder,
    requestParameters: record.requestParameters ?? {},
    responseElements: record.responseElements ?? {},
  };
};
