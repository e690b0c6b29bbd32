import { loadConfig, loadIncidentTableConfig } from '../../src/config';
import { defaultThresholds } from '../../src/detections';
import { ConfigError } from '../../src/errors';

const required = {
  INCIDENT_TABLE: 'kms-warden-prod-incidents',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:kms-warden',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/kms-warden-dlq',
};
const valid = {
  ...required,
  RESPONDER_ROLE_ARNS: 'arn:aws:iam::123456789012:role/kms-warden/prod/kms-warden-prod-us-east-1-approvals',
  ACCOUNT_ID: '123456789012',
};

describe('configuration', () => {
  it('reads the environment with defaults for optional settings', () => {
    expect(
      loadConfig({
        ...valid,
        KEY_ADMINISTRATORS: ' arn:aws:iam::123456789012:role/KeyAdmins ,arn:aws:iam::123456789012:user/alice',
      }),
    ).toEqual({
      incidentTable: 'kms-warden-prod-incidents',
      notificationTopicArn: valid.NOTIFICATION_TOPIC_ARN,
      deadLetterQueueUrl: valid.DEAD_LETTER_QUEUE_URL,
      responderRoles: ['arn:aws:iam::123456789012:role/kms-warden/prod/kms-warden-prod-us-east-1-approvals'],
      accountId: '123456789012',
      breakGlassPrincipals: [],
      keyAdministrators: ['arn:aws:iam::123456789012:role/KeyAdmins', 'arn:aws:iam::123456789012:user/alice'],
      trustedAccounts: [],
      trustedOrganizations: [],
      thresholds: defaultThresholds,
      unknownPriorKeyState: 'Enabled',
      incidentRetentionDays: 365,
      detectionMemoryDays: 30,
      defaultMode: 'contain',
      protectedKeys: [],
      rekeyStateMachineArn: undefined,
      decisionExecutorFunction: undefined,
      rekeyDeletionWindowDays: 30,
      rekeySettleMinutes: 60,
      rekeyDeletionApprovalDays: 14,
      rekeyS3BatchRoleArn: undefined,
      dryRun: false,
      disableKeysPerHour: 3,
      revokesPerSecond: 10,
      cloudTrailLookup: true,
      approvalSecretArn: undefined,
      approvalTokenHours: 24,
      remindAfterHours: 4,
      updateQuietMinutes: 5,
      approvalsUrl: undefined,
      slackSigningSecretArn: undefined,
      slackApprovers: [],
      slackWebhookSecretArn: undefined,
    });
  });

  it('reads the trusted organizations, leaving out the empty entry organization mode adds outside it', () => {
    expect(loadConfig({ ...valid, TRUSTED_ORGANIZATIONS: 'o-a1b2c3d4e5, o-exampleorgid,' })).toMatchObject({
      trustedOrganizations: ['o-a1b2c3d4e5', 'o-exampleorgid'],
    });
  });

  it('reads flags and treats an empty optional value as absent', () => {
    expect(
      loadConfig({
        ...valid,
        DRY_RUN: 'true',
        CLOUDTRAIL_LOOKUP: 'false',
        SLACK_WEBHOOK_SECRET_ARN: '',
        SLACK_APPROVERS: 'U0ONCALL, W0LEAD',
      }),
    ).toMatchObject({
      dryRun: true,
      cloudTrailLookup: false,
      slackWebhookSecretArn: undefined,
      slackApprovers: ['U0ONCALL', 'W0LEAD'],
    });
  });

  it.each(Object.keys(required))('names %s when it is missing', (variable) => {
    const env: Record<string, string> = { ...valid };
    delete env[variable];
    expect(() => loadConfig(env)).toThrow(new ConfigError(variable, 'is not set'));
  });

  it.each([
    ['KEY_ADMINISTRATORS', 'KeyAdmins', 'KEY_ADMINISTRATORS: must be an IAM or STS ARN'],
    ['TRUSTED_ACCOUNTS', '1234', 'TRUSTED_ACCOUNTS: must be a 12-digit account id'],
    ['TRUSTED_ORGANIZATIONS', 'o-short', 'TRUSTED_ORGANIZATIONS: must be an organization id'],
    ['TRUSTED_ORGANIZATIONS', '111122223333', 'TRUSTED_ORGANIZATIONS: must be an organization id'],
    ['PROTECTED_KEYS', 'alias/payments', 'PROTECTED_KEYS: must be a KMS key ARN'],
    ['SLACK_APPROVERS', 'alice', 'SLACK_APPROVERS: must be a Slack user id'],
    ['DRY_RUN', 'yes', 'DRY_RUN:'],
    ['RESPONDER_ROLE_ARNS', '/kms-warden/prod/', 'must be IAM role ARNs'],
    ['ACCOUNT_ID', '12345', 'must be a 12-digit account id'],
    ['UNKNOWN_PRIOR_KEY_STATE', 'PendingDeletion', ''],
    ['INCIDENT_RETENTION_DAYS', '0', 'must be from 1 to 3650'],
    ['DISABLE_KEYS_PER_HOUR', 'many', 'must be a number'],
    ['DISABLE_KEYS_PER_HOUR', '1.5', 'must be a whole number'],
    ['REKEY_DELETION_WINDOW_DAYS', '6', 'must be from 7 to 30'],
    ['DEFAULT_MODE', 'Contain', 'must be one of observe, contain, lockdown'],
    ['DEAD_LETTER_QUEUE_URL', 'not a url', 'must be a URL'],
    ['DETECTION_THRESHOLDS', '{"usageSpike":', 'must be JSON'],
    ['DETECTION_THRESHOLDS', '{"usageSpike": {"factor": 0}}', 'usageSpike.factor: must be more than 0'],
    ['INCIDENT_TABLE', '', 'must not be empty'],
  ])('refuses %s=%s', (variable, value, message) => {
    const error = (() => {
      try {
        loadConfig({ ...valid, [variable]: value });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(message);
  });

  it('takes an empty number (a stack parameter left unset) as its default', () => {
    expect(loadConfig({ ...valid, DISABLE_KEYS_PER_HOUR: '', REMIND_AFTER_HOURS: '0.5' })).toMatchObject({
      disableKeysPerHour: 3,
      remindAfterHours: 0.5,
    });
  });

  it('lists every missing and wrong setting in one error, each with what is wrong', () => {
    const error = (() => {
      try {
        loadConfig({ INCIDENT_TABLE: 'kms-warden-prod-incidents', DRY_RUN: 'yes', TRUSTED_ACCOUNTS: '1234' });
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'DEAD_LETTER_QUEUE_URL',
      'DRY_RUN',
      'NOTIFICATION_TOPIC_ARN',
      'TRUSTED_ACCOUNTS',
    ]);
    expect(error.message).toContain('NOTIFICATION_TOPIC_ARN: is not set');
    expect(error.message).toContain('DEAD_LETTER_QUEUE_URL: is not set');
    expect(error.message).toContain('TRUSTED_ACCOUNTS: must be a 12-digit account id');
  });

  it('lets a command that only reads incidents start with the table alone', () => {
    expect(loadIncidentTableConfig({ INCIDENT_TABLE: 'kms-warden-prod-incidents' })).toEqual({
      incidentTable: 'kms-warden-prod-incidents',
      incidentRetentionDays: 365,
    });
    expect(() => loadIncidentTableConfig({})).toThrow(new ConfigError('INCIDENT_TABLE', 'is not set'));
  });
});
