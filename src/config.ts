import { z } from 'zod';
import { accountIdSchema, principalArnSchema, thresholdsSchema } from './detections/settings';
import { ConfigError } from './errors';

/**
 * The only place that reads process.env. Validated once at cold start; a bad value fails the function's start
 * with an error that names every variable that is missing or wrong.
 */

/** A comma-separated list, each entry checked: "a, b,,c" is ["a", "b", "c"]. */
const commaList = (entry: z.ZodString) =>
  z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(entry));

const flag = (byDefault: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(byDefault)
    .transform((value) => value === 'true');

/** A value that may be absent; an empty string (an unset stack parameter) counts as absent. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => value || undefined);

const keyArnSchema = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, 'must be a KMS key ARN');

const environment = z.object({
  INCIDENT_TABLE: z.string().min(1),
  NOTIFICATION_TOPIC_ARN: z.string().regex(/^arn:aws[a-z-]*:sns:/, 'must be an SNS topic ARN'),
  DEAD_LETTER_QUEUE_URL: z.url(),
  /**
   * The ARNs of kms-warden's own roles (comma-separated), as the stack names them: calls made by sessions of exactly
   * these roles are the responder's own, and they are never contained. Not an IAM path: anyone allowed to create a
   * role could create one under it.
   */
  RESPONDER_ROLE_ARNS: commaList(
    z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/, 'must be IAM role ARNs'),
  ),
  /**
   * Break-glass principals: the roles and users that recover the account. kms-warden never contains them on its own
   * say (their deny is offered to a person; quarantine never), and the stack denies its roles IAM changes to them.
   */
  BREAK_GLASS_PRINCIPALS: commaList(
    z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/, 'must be IAM role or user ARNs'),
  ),
  /** The account kms-warden runs in (the stack sets it): it quarantines only principals of this account. */
  ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit account id')
    .optional(),
  /** Principals allowed to schedule key deletion without kms-warden undoing it. */
  KEY_ADMINISTRATORS: commaList(principalArnSchema),
  /** Accounts that are not external although they do not own the key (comma-separated 12-digit ids). */
  TRUSTED_ACCOUNTS: commaList(accountIdSchema),
  /** Prior state assumed for a key scheduled for deletion when no earlier DisableKey/EnableKey was seen. */
  UNKNOWN_PRIOR_KEY_STATE: z.enum(['Enabled', 'Disabled']).default('Enabled'),
  /** Detection thresholds as JSON, any subset of them (see README); the rest keep their defaults. */
  DETECTION_THRESHOLDS: z
    .string()
    .default('{}')
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(thresholdsSchema),
  /** The mode of keys without a kms-warden:mode tag: observe (notify only), contain, lockdown (contain and disable). */
  DEFAULT_MODE: z.enum(['observe', 'contain', 'lockdown']).default('contain'),
  /** Comma-separated key ARNs never disabled automatically (besides keys tagged kms-warden:protected=true). */
  PROTECTED_KEYS: commaList(keyArnSchema),
  /** true: plan, record and notify, but apply nothing. */
  DRY_RUN: flag('false'),
  /** Automatic disable-key per account per hour before further ones are offered for approval. */
  DISABLE_KEYS_PER_HOUR: z.coerce.number().int().min(0).max(100).default(3),
  /** RevokeGrant calls per second, under its request quota (15 by default in KMS). */
  REVOKES_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(10),
  /** Look up in CloudTrail's event history which keys a leaked access key used (needs cloudtrail:LookupEvents). */
  CLOUDTRAIL_LOOKUP: flag('true'),
  /** The Secrets Manager secret approval links are signed with (the approval endpoint only). */
  APPROVAL_SECRET_ARN: optionalText,
  /** The approval endpoint up to /approvals/; links go in messages only when it is set. */
  APPROVALS_URL: z.url().optional(),
  /** The Secrets Manager secret holding Slack's signing secret; Slack buttons are answered only when set. */
  SLACK_SIGNING_SECRET_ARN: optionalText,
  /**
   * The Secrets Manager secret for posting to Slack: an incoming webhook URL (a new message per change), or
   * {"botToken":"xoxb-...","channel":"C..."} (one message per incident, updated as it moves).
   */
  SLACK_WEBHOOK_SECRET_ARN: optionalText,
  /** Comma-separated Slack user ids allowed to decide from Slack. */
  SLACK_APPROVERS: commaList(z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id')),
  /** Hours a decision may wait before on-call is reminded. */
  REMIND_AFTER_HOURS: z.coerce.number().min(0.25).max(168).default(4),
  /** Hours an approval link stays valid. */
  APPROVAL_TOKEN_HOURS: z.coerce.number().int().min(1).max(168).default(24),
  /** Days a released or closed incident (and each audit entry) is kept before DynamoDB's TTL removes it. */
  INCIDENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** Days detection memory (baselines, windows) is kept after its last use. */
  DETECTION_MEMORY_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /**
   * The private function that carries decisions out (the approvals function records them and hands them over). Unset
   * (the CLI, the local demo), decisions are carried out in the process that records them.
   */
  DECISION_EXECUTOR_FUNCTION: optionalText,
  /**
   * The function that lists what re-keying would do before anyone approves it (handlers/plan-rekey.ts): a responder
   * hands it each incident it asks to re-key. Unset (the CLI, the local demo), no plan is asked for.
   */
  REKEY_PLAN_FUNCTION: optionalText,
  /** The re-key state machine; approving a re-key starts it (the approval endpoint and the CLI). */
  REKEY_STATE_MACHINE_ARN: optionalText,
  /** Days between scheduling the old key's deletion and the deletion: KMS allows 7 to 30. */
  REKEY_DELETION_WINDOW_DAYS: z.coerce.number().int().min(7).max(30).default(30),
  /** Minutes the old key must stay disabled and unused before re-keying is verified. */
  REKEY_SETTLE_MINUTES: z.coerce.number().min(0).max(10_080).default(60),
  /** The role S3 Batch Operations copy jobs run as, for buckets with more objects than are copied one by one. */
  REKEY_S3_BATCH_ROLE_ARN: optionalText,
  /** The re-key step's own role, with its path: the old key refuses every use but this role's while re-keying runs. */
  REKEY_ROLE_ARN: optionalText,
  /** Days the second approval (to delete the old key) may take before the run ends, leaving the key disabled. */
  REKEY_DELETION_APPROVAL_DAYS: z.coerce.number().int().min(1).max(90).default(14),
});

export type Config = ReturnType<typeof loadConfig>;

/** Every setting that is missing or wrong, each named with what is wrong, in one error. */
const configErrorOf = (error: z.ZodError, env: NodeJS.ProcessEnv): ConfigError => {
  const problems = new Map<string, string>();
  for (const issue of error.issues) {
    const variable = String(issue.path[0] ?? 'environment');
    if (!problems.has(variable)) problems.set(variable, env[variable] === undefined ? 'is not set' : issue.message);
  }
  return ConfigError.all([...problems].map(([variable, problem]) => ({ variable, problem })));
};

/** The settings a command that only reads incidents needs: the table, and nothing of the responders'. */
export type IncidentTableConfig = ReturnType<typeof loadIncidentTableConfig>;

export const loadIncidentTableConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const parsed = environment.pick({ INCIDENT_TABLE: true, INCIDENT_RETENTION_DAYS: true }).safeParse(env);
  if (!parsed.success) throw configErrorOf(parsed.error, env);
  return { incidentTable: parsed.data.INCIDENT_TABLE, incidentRetentionDays: parsed.data.INCIDENT_RETENTION_DAYS };
};

/** Every setting of the deployed functions, checked at once: an error names all that are missing or wrong. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const parsed = environment.safeParse(env);
  if (!parsed.success) throw configErrorOf(parsed.error, env);
  const e = parsed.data;
  return {
    incidentTable: e.INCIDENT_TABLE,
    notificationTopicArn: e.NOTIFICATION_TOPIC_ARN,
    deadLetterQueueUrl: e.DEAD_LETTER_QUEUE_URL,
    responderRoles: e.RESPONDER_ROLE_ARNS,
    breakGlassPrincipals: e.BREAK_GLASS_PRINCIPALS,
    accountId: e.ACCOUNT_ID,
    keyAdministrators: e.KEY_ADMINISTRATORS,
    trustedAccounts: e.TRUSTED_ACCOUNTS,
    thresholds: e.DETECTION_THRESHOLDS,
    unknownPriorKeyState: e.UNKNOWN_PRIOR_KEY_STATE,
    incidentRetentionDays: e.INCIDENT_RETENTION_DAYS,
    defaultMode: e.DEFAULT_MODE,
    protectedKeys: e.PROTECTED_KEYS,
    dryRun: e.DRY_RUN,
    disableKeysPerHour: e.DISABLE_KEYS_PER_HOUR,
    revokesPerSecond: e.REVOKES_PER_SECOND,
    cloudTrailLookup: e.CLOUDTRAIL_LOOKUP,
    approvalSecretArn: e.APPROVAL_SECRET_ARN,
    approvalTokenHours: e.APPROVAL_TOKEN_HOURS,
    remindAfterHours: e.REMIND_AFTER_HOURS,
    approvalsUrl: e.APPROVALS_URL,
    slackSigningSecretArn: e.SLACK_SIGNING_SECRET_ARN,
    slackApprovers: e.SLACK_APPROVERS,
    slackWebhookSecretArn: e.SLACK_WEBHOOK_SECRET_ARN,
    detectionMemoryDays: e.DETECTION_MEMORY_DAYS,
    rekeyStateMachineArn: e.REKEY_STATE_MACHINE_ARN,
    decisionExecutorFunction: e.DECISION_EXECUTOR_FUNCTION,
    rekeyPlanFunction: e.REKEY_PLAN_FUNCTION,
    rekeyDeletionWindowDays: e.REKEY_DELETION_WINDOW_DAYS,
    rekeySettleMinutes: e.REKEY_SETTLE_MINUTES,
    rekeyDeletionApprovalDays: e.REKEY_DELETION_APPROVAL_DAYS,
    rekeyS3BatchRoleArn: e.REKEY_S3_BATCH_ROLE_ARN,
    rekeyRoleArn: e.REKEY_ROLE_ARN,
  };
};
