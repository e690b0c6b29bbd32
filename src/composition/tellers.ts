import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientSettings, type ClientSettings } from '../aws/client-settings';
import { documentClient } from '../aws/dynamodb-client';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import type { Config } from '../config';
import { logger } from '../logger';
import type { Notifier } from '../notify/notifier';
import { SlackChannel } from '../notify/slack-channel';
import { onFirstUse } from './on-first-use';

type Secret = { bytes(): Promise<Buffer> };

/**
 * How people are told: SNS always, Slack and decision links when configured. Shared by every responder. SNS and
 * Secrets Manager are loaded when someone is first told (src/composition/on-first-use.ts): most invocations of a
 * responder tell nobody.
 */
export const tellers = (config: Config, documents = documentClient(), settings: ClientSettings = clientSettings()) => {
  // One Secrets Manager client for both secrets, made for the first of them read.
  let secrets: SecretsManagerClient | undefined;
  const secretNamed = (secretId: string, options?: { minimumBytes: number }) =>
    onFirstUse<Secret>({ bytes: true }, async () => {
      const [{ CachedSecret }, { secretsClient }] = await Promise.all([
        import('../aws/cached-secret'),
        import('../aws/secrets-manager-client'),
      ]);
      return new CachedSecret((secrets ??= secretsClient(settings)), secretId, options);
    });
  return {
    quietMinutes: config.updateQuietMinutes,
    incidents: new DynamoDbIncidentStore(documents, config.incidentTable, config.incidentRetentionDays),
    notifier: onFirstUse<Notifier>({ send: true }, async () => {
      const [{ SnsNotifier }, { snsClient }] = await Promise.all([
        import('../aws/sns-notifier'),
        import('../aws/sns-client'),
      ]);
      return new SnsNotifier(snsClient(settings), config.notificationTopicArn);
    }),
    ...(config.slackWebhookSecretArn
      ? { slack: new SlackChannel(secretNamed(config.slackWebhookSecretArn, { minimumBytes: 1 })) }
      : {}),
    ...(config.approvalsUrl && config.approvalSecretArn
      ? {
          links: {
            baseUrl: config.approvalsUrl,
            secret: secretNamed(config.approvalSecretArn),
            ttlSeconds: config.approvalTokenHours * 3600,
          },
        }
      : {}),
    logger,
    now: () => new Date(),
  };
};
