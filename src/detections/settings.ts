import { z } from 'zod';
import { defaultThresholds, type DetectionSettings } from './detection';
import { accountIdPattern, checkThresholds, principalArnPattern } from './thresholds';
import { organizationIdPattern } from '../events/key-policy';

/** A principal named in settings: an IAM or STS ARN. */
export const principalArnSchema = z.string().regex(principalArnPattern, 'must be an IAM or STS ARN');
export const accountIdSchema = z.string().regex(accountIdPattern, 'must be a 12-digit account id');

/** Thresholds as a person writes them: any subset, the rest defaulted (checked by ./thresholds, shared with config). */
export const thresholdsSchema = z
  .unknown()
  .optional()
  .transform((given, context) => {
    if (given === undefined) return defaultThresholds;
    const checked = checkThresholds(given);
    if (checked.ok) return checked.value;
    for (const problem of checked.problems) context.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

/** Replay's --config file. Unknown fields are refused: a typo must not pass silently. */
export const detectionSettingsSchema = z
  .object({
    keyAdministrators: z.array(principalArnSchema).default([]),
    trustedAccounts: z.array(accountIdSchema).default([]),
    trustedOrganizations: z
      .array(
        z
          .string()
          .regex(organizationIdPattern, 'must be an organization id (o- and 10 to 32 lower-case letters or digits)'),
      )
      .default([]),
    thresholds: thresholdsSchema,
  })
  .strict();

export const parseDetectionSettings = (value: unknown): DetectionSettings => detectionSettingsSchema.parse(value);
