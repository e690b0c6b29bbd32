import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { eventTimeSchema } from './cloudtrail-record';

/**
 * "Config Rules Compliance Change" events.
 * Reference: https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html
 */
const evaluationResult = z.object({
  complianceType: z.string(),
  resultRecordedTime: eventTimeSchema.optional(),
  evaluationResultIdentifier: z
    .object({
      evaluationResultQualifier: z
        .object({
          configRuleName: z.string().optional(),
          resourceType: z.string().optional(),
          resourceId: z.string().optional(),
        })
        .optional(),
      orderingTimestamp: eventTimeSchema.optional(),
    })
    .optional(),
});

export const configComplianceChangeSchema = z.object({
  resourceId: z.string().min(1),
  resourceType: z.string().min(1),
  awsRegion: z.string().min(1),
  awsAccountId: z.string().regex(/^\d{12}$/),
  configRuleName: z.string().min(1),
  configRuleARN: z.string().optional(),
  messageType: z.string().optional(),
  notificationCreationTime: eventTimeSchema,
  newEvaluationResult: evaluationResult,
  oldEvaluationResult: evaluationResult.nullish(),
});

export type ConfigComplianceChange = z.infer<typeof configComplianceChangeSchema> & { eventId: string };

export const configComplianceChangeEventSchema = EventBridgeSchema.extend({
  'detail-type': z.literal('Config Rules Compliance Change'),
  detail: configComplianceChangeSchema,
});
