import { loadConfig } from '../../src/config';
import { defaultThresholds } from '../../src/detectors/detector';
import { ConfigError } from '../../src/errors';

const valid = {
  INCIDENT_TABLE: 'kms-warden-prod-incidents',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:kms-warden',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/kms-warden-dlq',
  RESPONDER_ROLE_PATH: '/kms-warden/prod/',
};

describe('configuration', () => {
  it('reads the environment with defaults for optional settings', () => {
    expect(loadConfig({ ...valid, KEY_ADMINISTRATORS: ' arn:aws:iam::123456789012:role/KeyAdmins ,arn:aws:iam::123456789012:user/alice' })).toEqual({
      incidentTable: 'kms-warden-prod-incidents',
      notificationTopicArn: valid.NOTIFICATION_TOPIC_ARN,
      deadLetterQueueUrl: valid.DEAD_LETTER_QUEUE_URL,
      responderRolePath: '/kms-warden/prod/',
      keyAdministrators: ['arn:aws:iam::123456789012:role/KeyAdmins', 'arn:aws:iam::123456789012:user/alice'],
      trustedAccounts: [],
      thresholds: defaultThresholds,
      unknownPriorKeyState: 'Enabled',
      incidentRetentionDays: 365,
      detectionMemoryDays: 30,
      defaultMode: 'contain',
      protectedKeys: [],
      dryRun: false,
      disableKeysPerHour: 3,
      revokesPerSecond: 10,
      cloudTrailLookup: true,
      approvalSecretArn: undefined,
      approvalTokenHours: 24,
      remindAfterHours: 4,
      approvalsUrl: undefined,
      slackSigningSecretArn: undefined,
      slackApprovers: [],
      slackWebhookSecretArn: undefined,
    });
  });

  it.each(Object.keys(valid))('names %s when it is missing', (variable) => {
    const env: Record<string, string> = { ...valid };
    delete env[variable];
    expect(() => loadConfig(env)).toThrow(new ConfigError(variable, 'is not set'));
  });

  it.each([
    ['KEY_ADMINISTRATORS', 'KeyAdmins', 'each entry must be an IAM or STS ARN'],
    ['RESPONDER_ROLE_PATH', 'kms-warden', 'must be an IAM path'],
    ['UNKNOWN_PRIOR_KEY_STATE', 'PendingDeletion', ''],
    ['INCIDENT_RETENTION_DAYS', '0', ''],
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
});
