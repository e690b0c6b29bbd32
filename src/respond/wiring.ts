import { CachedSecret } from '../aws/cached-secret';
import { documentClient, iamClient, kmsClients, secretsClient, snsClient, sqsClient } from '../aws/clients';
import { DynamoDbDetectionMemory } from '../aws/dynamodb-detection-memory';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
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

/** How people are told: SNS always, Slack and decision links when configured. Shared by every responder. */
export const tellers = (config: Config, documents = documentClient()) => {
  const secrets = config.slackWebhookSecretArn || config.approvalSecretArn ? secretsClient() : undefined;
  return {
    incidents: new DynamoDbIncidentStore(documents, config.incidentTable),
    notifier: new SnsNotifier(snsClient(), config.notificationTopicArn),
    ...(secrets && config.slackWebhookSecretArn
      ? { slack: new SlackWebhook(new CachedSecret(secrets, config.slackWebhookSecretArn, { minimumBytes: 1 })) }
      : {}),
    ...(secrets && config.approvalsUrl && config.approvalSecretArn
      ? { links: { baseUrl: config.approvalsUrl, secret: new CachedSecret(secrets, config.approvalSecretArn), ttlSeconds: config.approvalTokenHours * 3600 } }
      : {}),
    logger,
    now: () => new Date(),
  };
};

/** The responders' composition root: adapters over clients, settings from the validated config. */
export const responderDeps = (config: Config) => {
  const documents = documentClient();
  const deps: ResponderDeps = {
    ...tellers(config, documents),
    kms: new KmsKeys(kmsClients()),
    iam: new IamPrincipals(iamClient()),
    keyStates: new DynamoDbKeyStateJournal(documents, config.incidentTable),
    keyPolicies: new DynamoDbKeyPolicyJournal(documents, config.incidentTable),
    breaker: new DynamoDbCircuitBreaker(documents, config.incidentTable, config.disableKeysPerHour),
    memory: new DynamoDbDetectionMemory(documents, config.incidentTable, config.detectionMemoryDays),
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
  };
  return { deps, deadLetters: new SqsDeadLetters(sqsClient(), config.deadLetterQueueUrl) };
};
