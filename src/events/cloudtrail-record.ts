import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';

/**
 * CloudTrail records as AWS writes them. Unknown fields are tolerated (AWS adds fields over time); the fields
 * kms-warden relies on are checked. Reference: CloudTrail record contents,
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */

const sessionIssuer = z.object({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  userName: z.string().optional(),
});

export const userIdentitySchema = z.object({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  invokedBy: z.string().optional(),
  sessionContext: z
    .object({
      sessionIssuer: sessionIssuer.optional(),
      attributes: z.object({ creationDate: z.string().optional(), mfaAuthenticated: z.string().optional() }).optional(),
    })
    .optional(),
});

const cloudTrailTime = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * CloudTrail writes ISO 8601 UTC with second precision. Pipelines that re-emit records (Panther, Athena exports)
 * write "2024-01-01 00:00:00.000" with a space and up to nanoseconds: read both as UTC, keep milliseconds.
 */
export const eventTimeSchema = z.string().transform((value, context) => {
  const match = cloudTrailTime.exec(value.trim());
  const time = match
    ? Date.parse(`${match[1]}T${match[2]}${(match[3] ?? '').slice(0, 4)}${match[4] ?? 'Z'}`)
    : Number.NaN;
  if (Number.isNaN(time)) {
    context.addIssue({ code: 'custom', message: `not a CloudTrail time: ${JSON.stringify(value).slice(0, 40)}` });
    return z.NEVER;
  }
  return new Date(time).toISOString();
});

const resource = z.object({
  ARN: z.string().optional(),
  accountId: z.string().optional(),
  type: z.string().optional(),
});

export const cloudTrailRecordSchema = z.object({
  eventVersion: z.string().optional(),
  userIdentity: userIdentitySchema.optional(),
  eventTime: eventTimeSchema,
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  awsRegion: z.string().min(1),
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  requestParameters: z.record(z.string(), z.unknown()).nullish(),
  responseElements: z.record(z.string(), z.unknown()).nullish(),
  eventID: z.string().min(1),
  eventType: z.string().optional(),
  readOnly: z.boolean().optional(),
  resources: z.array(resource).nullish(),
  recipientAccountId: z.string().optional(),
  vpcEndpointId: z.string().optional(),
  /**
   * One action logged in two accounts (a cross-account call: in the caller's and in the key owner's) has two records,
   * two eventIDs and this one id
   * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
   */
  sharedEventID: z.string().optional(),
});

export type CloudTrailRecord = z.infer<typeof cloudTrailRecordSchema>;
export type UserIdentity = z.infer<typeof userIdentitySchema>;

/** "AWS API Call via CloudTrail" as EventBridge delivers it. */
export const cloudTrailApiCallEventSchema = EventBridgeSchema.extend({
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: cloudTrailRecordSchema,
});

export type CloudTrailApiCallEvent = z.infer<typeof cloudTrailApiCallEventSchema>;
