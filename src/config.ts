import type { Thresholds } from './detections/detection';
import { accountIdPattern, checkThresholds, principalArnPattern } from './detections/thresholds';
import { ConfigError } from './errors';
import { organizationIdPattern } from './events/key-policy';
import { parseMemberRole, type MemberRole } from './organization/member-role';

/**
 * The only place that reads process.env. Validated once at cold start; a bad value fails the function's start
 * with an error that names every variable that is missing or wrong.
 */

/** One variable's check: its value, or what is wrong with it. */
type Check<T> = (raw: string | undefined) => { ok: true; value: T } | { ok: false; problem: string };
type CheckedValue<C> = C extends Check<infer T> ? T : never;

const ok = <T>(value: T) => ({ ok: true as const, value });
const wrong = (problem: string) => ({ ok: false as const, problem });
const notSet = wrong('is not set');

const text: Check<string> = (raw) => (raw === undefined ? notSet : raw === '' ? wrong('must not be empty') : ok(raw));

const matching =
  (pattern: RegExp, message: string): Check<string> =>
  (raw) =>
    raw === undefined ? notSet : pattern.test(raw) ? ok(raw) : wrong(message);

/** A value that may be absent; an empty string (an unset stack parameter) counts as absent. */
const optionalText: Check<string | undefined> = (raw) => ok(raw || undefined);

const optionalMatching =
  (pattern: RegExp, message: string): Check<string | undefined> =>
  (raw) =>
    raw === undefined ? ok(undefined) : matching(pattern, message)(raw);

const isUrl = (raw: string) => {
  try {
    new URL(raw);
    return true;
  } catch {
    return false;
  }
};
const url: Check<string> = (raw) => (raw === undefined ? notSet : isUrl(raw) ? ok(raw) : wrong('must be a URL'));
const optionalUrl: Check<string | undefined> = (raw) => (raw === undefined ? ok(undefined) : url(raw));

/** A comma-separated list, each entry checked: "a, b,,c" is ["a", "b", "c"]. */
const list =
  (pattern: RegExp, message: string): Check<string[]> =>
  (raw) => {
    const items = (raw ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    return items.every((item) => pattern.test(item)) ? ok(items) : wrong(message);
  };

const oneOf =
  <const T extends string>(values: readonly T[], byDefault: NoInfer<T>): Check<T> =>
  (raw) =>
    raw === undefined
      ? ok(byDefault)
      : (values as readonly string[]).includes(raw)
        ? ok(raw as T)
        : wrong(`must be one of ${values.join(', ')}`);

const flag = (byDefault: 'true' | 'false'): Check<boolean> => {
  const check = oneOf(['true', 'false'], byDefault);
  return (raw) => {
    const checked = check(raw);
    return checked.ok ? ok(checked.value === 'true') : checked;
  };
};

/** A number from min to max, the default when unset or empty (an unset stack parameter). */
const numberIn =
  (min: number, max: number, byDefault: number, whole = false): Check<number> =>
  (raw) => {
    if (raw === undefined || raw.trim() === '') return ok(byDefault);
    const value = Number(raw);
    if (!Number.isFinite(value)) return wrong('must be a number');
    if (whole && !Number.isInteger(value)) return wrong('must be a whole number');
    return value < min || value > max ? wrong(`must be from ${min} to ${max}`) : ok(value);
  };
const integer = (min: number, max: number, byDefault: number) => numberIn(min, max, byDefault, true);

/** Detection thresholds as JSON, any subset of them (see README); the rest keep their defaults. */
const thresholdsJson: Check<Thresholds> = (raw) => {
  let given: unknown;
  try {
    given = JSON.parse(raw || '{}');
  } catch {
    return wrong('must be JSON');
  }
  const checked = checkThresholds(given);
  return checked.ok ? ok(checked.value) : wrong(checked.problems.join('; '));
};

const keyArnPattern = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;

const environment = {
  INCIDENT_TABLE: text,
  NOTIFICATION_TOPIC_ARN: matching(/^arn:aws[a-z-]*:sns:/, 'must be an SNS topic ARN'),
  DEAD_LETTER_QUEUE_URL: url,
  /**
   * The ARNs of kms-warden's own roles (comma-separated), as the stack names them: calls made by sessions of exactly
   * these roles are the responder's own, and they are never contained. Not an IAM path: anyone allowed to create a
   * role could create one under it.
   */
  RESPONDER_ROLE_ARNS: list(/^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/, 'must be IAM role ARNs'),
  /**
   * Break-glass principals: the roles and users that recover the account. kms-warden never contains them on its own
   * say (their deny is offered to a person; quarantine never), and the stack denies its roles IAM changes to them.
   */
  BREAK_GLASS_PRINCIPALS: list(
    /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/,
    'must be IAM role or user ARNs',
  ),
  /** The account kms-warden runs in (the stack sets it): it quarantines only principals of this account. */
  ACCOUNT_ID: optionalMatching(/^\d{12}$/, 'must be a 12-digit account id'),
  /** Principals allowed to schedule key deletion without kms-warden undoing it. */
  KEY_ADMINISTRATORS: list(principalArnPattern, 'must be an IAM or STS ARN'),
  /** Accounts that are not external although they do not own the key (comma-separated 12-digit ids). */
  TRUSTED_ACCOUNTS: list(accountIdPattern, 'must be a 12-digit account id'),
  /**
   * Organizations a key policy may open a key to (aws:PrincipalOrgID and the like) without a signal (comma-separated
   * o-... ids). In organization mode the stack adds its own organization's id.
   */
  TRUSTED_ORGANIZATIONS: list(
    organizationIdPattern,
    'must be an organization id (o- and 10 to 32 lower-case letters or digits)',
  ),
  /** Prior state assumed for a key scheduled for deletion when no earlier DisableKey/EnableKey was seen. */
  UNKNOWN_PRIOR_KEY_STATE: oneOf(['Enabled', 'Disabled'], 'Enabled'),
  /** Detection thresholds as JSON, any subset of them (see README); the rest keep their defaults. */
  DETECTION_THRESHOLDS: thresholdsJson,
  /** The mode of keys without a kms-warden:mode tag: observe (notify only), contain, lockdown (contain and disable). */
  DEFAULT_MODE: oneOf(['observe', 'contain', 'lockdown'], 'contain'),
  /** Comma-separated key ARNs never disabled automatically (besides keys tagged kms-warden:protected=true). */
  PROTECTED_KEYS: list(keyArnPattern, 'must be a KMS key ARN'),
  /** true: plan, record and notify, but apply nothing. */
  DRY_RUN: flag('false'),
  /** Automatic disable-key per account per hour before further ones are offered for approval. */
  DISABLE_KEYS_PER_HOUR: integer(0, 100, 3),
  /** RevokeGrant calls per second, under its request quota (15 by default in KMS). */
  REVOKES_PER_SECOND: integer(1, 1000, 10),
  /** Look up in CloudTrail's event history which keys a leaked access key used (needs cloudtrail:LookupEvents). */
  CLOUDTRAIL_LOOKUP: flag('true'),
  /** The Secrets Manager secret approval links are signed with (the approval endpoint only). */
  APPROVAL_SECRET_ARN: optionalText,
  /** The approval endpoint up to /approvals/; links go in messages only when it is set. */
  APPROVALS_URL: optionalUrl,
  /** The Secrets Manager secret holding Slack's signing secret; Slack buttons are answered only when set. */
  SLACK_SIGNING_SECRET_ARN: optionalText,
  /**
   * The Secrets Manager secret for posting to Slack: an incoming webhook URL (a new message per change), or
   * {"botToken":"xoxb-...","channel":"C..."} (one message per incident, updated as it moves).
   */
  SLACK_WEBHOOK_SECRET_ARN: optionalText,
  /** Comma-separated Slack user ids allowed to decide from Slack. */
  SLACK_APPROVERS: list(/^[UW][A-Z0-9]+$/, 'must be a Slack user id'),
  /** Hours a decision may wait before on-call is reminded. */
  REMIND_AFTER_HOURS: numberIn(0.25, 168, 4),
  /**
   * Minutes after a message about an incident during which later signals of its story wait, so a burst of them is one
   * update (the scheduled sweep sends it).
   */
  UPDATE_QUIET_MINUTES: numberIn(0, 60, 5),
  /** Hours an approval link stays valid. */
  APPROVAL_TOKEN_HOURS: integer(1, 168, 24),
  /** Days a released or closed incident (and each audit entry) is kept before DynamoDB's TTL removes it. */
  INCIDENT_RETENTION_DAYS: integer(1, 3650, 365),
  /** Days detection memory (baselines, windows) is kept after its last use. */
  DETECTION_MEMORY_DAYS: integer(1, 365, 30),
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
  REKEY_DELETION_WINDOW_DAYS: integer(7, 30, 30),
  /** Minutes the old key must stay disabled and unused before re-keying is verified. */
  REKEY_SETTLE_MINUTES: numberIn(0, 10_080, 60),
  /** The role S3 Batch Operations copy jobs run as, for buckets with more objects than are copied one by one. */
  REKEY_S3_BATCH_ROLE_ARN: optionalText,
  /** The re-key step's own role, with its path: the old key refuses every use but this role's while re-keying runs. */
  REKEY_ROLE_ARN: optionalText,
  /** Days the second approval (to delete the old key) may take before the run ends, leaving the key disabled. */
  REKEY_DELETION_APPROVAL_DAYS: integer(1, 90, 14),
  /**
   * Organization mode: the path and name of the role the member template makes in every member account
   * ("/kms-warden/kms-warden-member-prod"). Set, the functions act in the account an event came from through it, and
   * an account of the organization is not external. Unset, kms-warden acts in its own account only.
   */
  MEMBER_ROLE: optionalText,
  /** The external id the member role's trust policy requires (set with MEMBER_ROLE). */
  MEMBER_EXTERNAL_ID: optionalText,
  /** The function's Region (Lambda sets it): the member role's partition, and STS's regional endpoint. */
  AWS_REGION: optionalText,
} satisfies Record<string, Check<unknown>>;

type Environment = { [K in keyof typeof environment]: CheckedValue<(typeof environment)[K]> };

export type Config = ReturnType<typeof loadConfig>;

/**
 * Checks the variables named: their values, or every one that is missing or wrong, each named with what is wrong, in
 * one error.
 */
const checked = <K extends keyof typeof environment>(
  env: NodeJS.ProcessEnv,
  names: readonly K[],
): Pick<Environment, K> => {
  const values: Partial<Record<K, unknown>> = {};
  const problems: Array<{ variable: string; problem: string }> = [];
  for (const name of names) {
    const result = environment[name](env[name]);
    if (result.ok) values[name] = result.value;
    else problems.push({ variable: name, problem: result.problem });
  }
  if (problems.length > 0) throw ConfigError.all(problems);
  return values as Pick<Environment, K>;
};

/** The settings a command that only reads incidents needs: the table, and nothing of the responders'. */
export type IncidentTableConfig = ReturnType<typeof loadIncidentTableConfig>;

export const loadIncidentTableConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const e = checked(env, ['INCIDENT_TABLE', 'INCIDENT_RETENTION_DAYS']);
  return { incidentTable: e.INCIDENT_TABLE, incidentRetentionDays: e.INCIDENT_RETENTION_DAYS };
};

/** MEMBER_ROLE and MEMBER_EXTERNAL_ID: both set (organization mode), or neither. */
const memberRoleOf = (
  role: string | undefined,
  externalId: string | undefined,
  accountId: string | undefined,
): MemberRole | undefined => {
  if (!role && !externalId) return undefined;
  if (!role) throw new ConfigError('MEMBER_ROLE', 'is not set, but MEMBER_EXTERNAL_ID is: set both or neither');
  if (!externalId) throw new ConfigError('MEMBER_EXTERNAL_ID', 'is not set, but MEMBER_ROLE is: set both or neither');
  if (!accountId)
    throw new ConfigError('ACCOUNT_ID', 'is not set, but MEMBER_ROLE is: organization mode needs the central account');
  const parsed = parseMemberRole(role, externalId);
  if (!parsed.ok)
    throw new ConfigError(
      parsed.problem.startsWith('the external id') ? 'MEMBER_EXTERNAL_ID' : 'MEMBER_ROLE',
      parsed.problem,
    );
  return parsed.role;
};

/** Every setting of the deployed functions, checked at once: an error names all that are missing or wrong. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const e = checked(env, Object.keys(environment) as Array<keyof typeof environment>);
  const memberRole = memberRoleOf(e.MEMBER_ROLE, e.MEMBER_EXTERNAL_ID, e.ACCOUNT_ID);
  return {
    /** Organization mode: the role assumed in member accounts; undefined, kms-warden acts in its own account. */
    memberRole,
    region: e.AWS_REGION,
    incidentTable: e.INCIDENT_TABLE,
    notificationTopicArn: e.NOTIFICATION_TOPIC_ARN,
    deadLetterQueueUrl: e.DEAD_LETTER_QUEUE_URL,
    responderRoles: e.RESPONDER_ROLE_ARNS,
    breakGlassPrincipals: e.BREAK_GLASS_PRINCIPALS,
    accountId: e.ACCOUNT_ID,
    keyAdministrators: e.KEY_ADMINISTRATORS,
    trustedAccounts: e.TRUSTED_ACCOUNTS,
    trustedOrganizations: e.TRUSTED_ORGANIZATIONS,
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
    updateQuietMinutes: e.UPDATE_QUIET_MINUTES,
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
