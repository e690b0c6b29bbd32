import { CachedSecret } from '../aws/cached-secret';
import { documentClient, secretsClient, snsClient } from '../aws/clients';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import { SnsNotifier } from '../aws/sns-notifier';
import type { Config } from '../config';
import { logger } from '../logger';
import { SlackChannel } from '../notify/slack-channel';

/** How people are told: SNS always, Slack and decision links when configured. Shared by every responder. */
export const tellers = (config: Config, documents = documentClient()) => {
  const secrets = config.slackWebhookSecretArn || config.approvalSecretArn ? secretsClient() : undefined;
  return {
    incidents: new DynamoDbIncidentStore(documents, config.incidentTable, config.incidentRetentionDays),
    notifier: new SnsNotifier(snsClient(), config.notificationTopicArn),
    ...(secrets && config.slackWebhookSecretArn
      ? { slack: new SlackChannel(new CachedSecret(secrets, config.slackWebhookSecretArn, { minimumBytes: 1 })) }
      : {}),
    ...(secrets && config.approvalsUrl && config.approvalSecretArn
      ? {
          links: {
            baseUrl: config.approvalsUrl,
            secret: new CachedSecret(secrets, config.approvalSecretArn),
            ttlSeconds: config.approvalTokenHours * 3600,
          },
        }
      : {}),
    logger,
    now: () => new Date(),
  };
};
