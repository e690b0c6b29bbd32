import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedSecret } from '../aws/cached-secret';
import { createClients, type Clients } from '../aws/clients';
import { DynamoDbDetectionMemory } from '../aws/dynamodb-detection-memory';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import { CloudTrailKeyUsage } from '../aws/cloudtrail-key-usage';
import { DynamoDbCircuitBreaker } from '../aws/dynamodb-circuit-breaker';
import { DynamoDbKeyPolicyJournal, DynamoDbKeyStateJournal } from '../aws/dynamodb-key-journals';
import { IamPrincipals } from '../aws/iam-principals';
import { KmsKeys } from '../aws/kms-keys';
import { SnsNotifier } from '../aws/sns-notifier';
import { SqsDeadLetters } from '../aws/sqs-dead-letters';
import type { Config } from '../config';
import { logger } from '../logger';
import { SlackWebhook } from '../notify/slack-webhook-notifier';
import type { ResponderDeps } from './respond-to-signals';

/** The composition root: adapters over clients, settings from the validated config. */
export const responderDeps = (config: Config, clients: Clients = createClients()) => {
  const deps: ResponderDeps = {
    kms: new KmsKeys(clients.kmsIn),
    iam: new IamPrincipals(clients.iam),
    incidents: new DynamoDbIncidentStore(clients.documents, config.incidentTable),
    keyStates: new DynamoDbKeyStateJournal(clients.documents, config.incidentTable),
    keyPolicies: new DynamoDbKeyPolicyJournal(clients.documents, config.incidentTable),
    breaker: new DynamoDbCircuitBreaker(clients.documents, config.incidentTable, config.disableKeysPerHour),
    ...(config.cloudTrailLookup ? { keyUsage: new CloudTrailKeyUsage(clients.cloudtrail) } : {}),
    memory: new DynamoDbDetectionMemory(clients.documents, config.incidentTable, config.detectionMemoryDays),
    notifier: new SnsNotifier(clients.sns, config.notificationTopicArn),
    ...(config.slackWebhookSecretArn
      ? { slack: new SlackWebhook(new CachedSecret(new SecretsManagerClient({ maxAttempts: 5 }), config.slackWebhookSecretArn, 5 * 60_000, Date.now, 1)) }
      : {}),
    ...(config.approvalsUrl && config.approvalSecretArn
      ? {
          links: {
            baseUrl: config.approvalsUrl,
            secret: new CachedSecret(new SecretsManagerClient({ maxAttempts: 5 }), config.approvalSecretArn),
            ttlSeconds: config.approvalTokenHours * 3600,
          },
        }
      : {}),
    logger,
    settings: {
      keyAdministrators: config.keyAdministrators,
      trustedAccounts: config.trustedAccounts,
      thresholds: config.thresholds,
      responderRolePath: config.responderRolePath,
      unknownPriorKeyState: config.unknownPriorKeyState,
      incidentRetentionDays: config.incidentRetentionDays,
      defaultMode: config.defaultMode,
      protectedKeys: config.protectedKeys,
      dryRun: config.dryRun,
      disableKeysPerHour: config.disableKeysPerHour,
      revokesPerSecond: config.revokesPerSecond,
    },
    now: () => new Date(),
  };
  return { deps, deadLetters: new SqsDeadLetters(clients.sqs, config.deadLetterQueueUrl) };
};
