import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientSettings, type ClientSettings } from './client-settings';

/** DynamoDB's document client: the only client the activity function's common path (detection memory) needs. */
export const documentClient = (settings: ClientSettings = clientSettings()) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(settings), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
