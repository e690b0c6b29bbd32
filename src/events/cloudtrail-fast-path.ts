import type { CloudTrailRecord } from './cloudtrail-record';

/**
 * A fast structural check for the common case, used before the zod schema on the replay hot path. It accepts a
 * strict subset of what cloudTrailRecordSchema accepts (ISO times with a Z, every field normalisation reads of the
 * right type); anything else goes to the schema, which accepts or explains. A differential test holds the two to
 * that contract.
 */
const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalObject = (value: unknown) => value === undefined || isObject(value);
const nullableObject = (value: unknown) => value === undefined || value === null || isObject(value);

const identityFields = ['type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy'] as const;
const issuerFields = ['type', 'principalId', 'arn', 'accountId', 'userName'] as const;

const userIdentityOk = (identity: unknown): boolean => {
  if (identity === undefined) return true;
  if (!isObject(identity)) return false;
  for (const field of identityFields) if (!optionalString(identity[field])) return false;
  const context = identity.sessionContext;
  if (context === undefined) return true;
  if (!isObject(context)) return false;
  const issuer = context.sessionIssuer;
  if (issuer !== undefined) {
    if (!isObject(issuer)) return false;
    for (const field of issuerFields) if (!optionalString(issuer[field])) return false;
  }
  const attributes = context.attributes;
  if (attributes !== undefined) {
    if (
      !isObject(attributes) ||
      !optionalString(attributes.creationDate) ||
      !optionalString(attributes.mfaAuthenticated)
    )
      return false;
  }
  return true;
};

const resourcesOk = (resources: unknown): boolean => {
  if (resources === undefined || resources === null) return true;
  if (!Array.isArray(resources)) return false;
  for (const resource of resources) {
    if (
      !isObject(resource) ||
      !optionalString(resource.ARN) ||
      !optionalString(resource.accountId) ||
      !optionalString(resource.type)
    )
      return false;
  }
  return true;
};

const nonEmpty = (value: unknown) => typeof value === 'string' && value.length > 0;

export const cloudTrailRecordFastPath = (value: unknown): CloudTrailRecord | undefined => {
  if (!isObject(value)) return undefined;
  const r = value;
  if (!nonEmpty(r.eventID) || !nonEmpty(r.eventName) || !nonEmpty(r.eventSource) || !nonEmpty(r.awsRegion))
    return undefined;
  if (typeof r.eventTime !== 'string' || !isoUtc.test(r.eventTime) || Number.isNaN(Date.parse(r.eventTime)))
    return undefined;
  if (
    !optionalString(r.eventVersion) ||
    !optionalString(r.sourceIPAddress) ||
    !optionalString(r.userAgent) ||
    !optionalString(r.errorCode) ||
    !optionalString(r.errorMessage) ||
    !optionalString(r.eventType) ||
    !optionalString(r.recipientAccountId) ||
    !optionalString(r.vpcEndpointId) ||
    !optionalString(r.sharedEventID) ||
    !(r.readOnly === undefined || typeof r.readOnly === 'boolean')
  ) {
    return undefined;
  }
  if (
    !nullableObject(r.requestParameters) ||
    !nullableObject(r.responseElements) ||
    !optionalObject(r.userIdentity) ||
    !userIdentityOk(r.userIdentity)
  ) {
    return undefined;
  }
  if (!resourcesOk(r.resources)) return undefined;
  // CloudTrail's own form has whole seconds: adding the milliseconds as text is much cheaper than a Date round trip.
  const eventTime =
    r.eventTime.length === 20 ? `${r.eventTime.slice(0, 19)}.000Z` : new Date(Date.parse(r.eventTime)).toISOString();
  return { ...r, eventTime } as CloudTrailRecord;
};
