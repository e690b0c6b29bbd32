import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadServerlessDefinition, resourceProperties } from './stack-definition';

export interface ResponderStack {
  stage: string;
  incidentTable: string;
  notificationTopicArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

type TableProperties = Pick<
  CreateTableCommandInput,
  'AttributeDefinitions' | 'KeySchema' | 'BillingMode' | 'GlobalSecondaryIndexes' | 'SSESpecification'
> & { TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean } };

/**
 * Creates the responder's own resources in an emulator from serverless.yml's definitions, so local runs and
 * integration tests use the table, topic and queue the stack deploys (names are chosen per stage here, as
 * CloudFormation would).
 */
export const provisionResponderStack = async (stage: string): Promise<ResponderStack> => {
  const definition = loadServerlessDefinition();
  const table = resourceProperties<TableProperties>(definition, 'IncidentsTable');
  const dynamodb = new DynamoDBClient({});
  const sns = new SNSClient({});
  const sqs = new SQSClient({});

  const incidentTable = `kms-warden-${stage}-incidents`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: incidentTable,
      AttributeDefinitions: table.AttributeDefinitions,
      KeySchema: table.KeySchema,
      BillingMode: table.BillingMode,
      GlobalSecondaryIndexes: table.GlobalSecondaryIndexes,
      SSESpecification: table.SSESpecification,
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1 }, { TableName: incidentTable });
  if (table.TimeToLiveSpecification) {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({ TableName: incidentTable, TimeToLiveSpecification: table.TimeToLiveSpecification }),
    );
  }

  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `kms-warden-${stage}-notifications` }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `kms-warden-${stage}-dead-letters` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  [dynamodb, sns, sqs].forEach((client) => client.destroy());

  return {
    stage,
    incidentTable,
    notificationTopicArn: TopicArn!,
    deadLetterQueueUrl: QueueUrl!,
    deadLetterQueueArn: Attributes!.QueueArn!,
  };
};

/** The environment the deployed function gets, pointed at the local stack. */
export const responderEnvironment = (
  stack: ResponderStack,
  settings: { keyAdministrators?: string[]; responderRoles?: string[] } = {},
) => ({
  INCIDENT_TABLE: stack.incidentTable,
  NOTIFICATION_TOPIC_ARN: stack.notificationTopicArn,
  DEAD_LETTER_QUEUE_URL: stack.deadLetterQueueUrl,
  RESPONDER_ROLE_ARNS: (settings.responderRoles ?? []).join(','),
  KEY_ADMINISTRATORS: (settings.keyAdministrators ?? []).join(','),
  // moto has no CloudTrail event history.
  CLOUDTRAIL_LOOKUP: 'false',
});

/** An SQS queue subscribed to the notification topic, standing in for on-call's inbox. Returns its URL. */
export const subscribeInbox = async (topicArn: string, queueName: string): Promise<string> => {
  const sqs = new SQSClient({});
  const sns = new SNSClient({});
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  [sqs, sns].forEach((client) => client.destroy());
  return QueueUrl!;
};
