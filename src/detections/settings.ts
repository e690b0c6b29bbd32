import { z } from 'zod';
import { defaultThresholds, type DetectionSettings } from './detection';

const positive = z.number().positive();

/** A principal named in settings: an IAM or STS ARN. */
export const principalArnSchema = z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/, 'must be an IAM or STS ARN');
export const accountIdSchema = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');

/** Thresholds as a person writes them: any subset, the rest defaulted. */
export const thresholdsSchema = z
  .object({
    accessDeniedBurst: z.object({ count: positive.int(), windowMinutes: positive }).partial(),
    keyEnumeration: z.object({ distinctKeys: positive.int(), windowMinutes: positive }).partial(),
    learningPeriodDays: z.number().min(0),
    usageSpike: z.object({ factor: positive, minimumCalls: positive.int() }).partial(),
    guardDutyMinimumSeverity: z.number().min(0).max(10),
    guardDutyQuarantineSeverity: z.number().min(0).max(10),
  })
  .partial()
  .strict()
  .transform((given) => ({
    accessDeniedBurst: { ...defaultThresholds.accessDeniedBurst, ...given.accessDeniedBurst },
    keyEnumeration: { ...defaultThresholds.keyEnumeration, ...given.keyEnumeration },
    learningPeriodDays: given.learningPeriodDays ?? defaultThresholds.learningPeriodDays,
    usageSpike: { ...defaultThresholds.usageSpike, ...given.usageSpike },
    guardDutyMinimumSeverity: given.guardDutyMinimumSeverity ?? defaultThresholds.guardDutyMinimumSeverity,
    guardDutyQuarantineSeverity: given.guardDutyQuarantineSeverity ?? defaultThresholds.guardDutyQuarantineSeverity,
  }));

/** Replay's --config file. Unknown fields are refused: a typo must not pass silently. */
export const detectionSettingsSchema = z
  .object({
    keyAdministrators: z.array(principalArnSchema).default([]),
    trustedAccounts: z.array(accountIdSchema).default([]),
    thresholds: thresholdsSchema.default(defaultThresholds),
  })
  .strict();

export const parseDetectionSettings = (value: unknown): DetectionSettings => detectionSettingsSchema.parse(value);
