import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NonceStore } from '../approvals/nonce-store';

const neverUsed = 'attribute_not_exists(pk)';

export class DynamoDbNonceStore implements NonceStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async consume(nonce: string, incidentId: string, expiresAt: number): Promise<boolean> {
    // This call's own mark: AWS can apply the put, answer 500 and see the SDK send it again; the retry then finds
    // the nonce used by this very call, which is still this call's to spend.
    const consumedBy = randomUUID();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          // Kept until the token would have expired anyway, then removed by TTL.
          Item: { pk: `NONCE#${nonce}`, sk: 'NONCE', incidentId, expiresAt, consumedBy },
          ConditionExpression: neverUsed,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return error.Item !== undefined && unmarshall(error.Item).consumedBy === consumedBy;
      throw error;
    }
  }

  async spent(nonce: string): Promise<boolean> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `NONCE#${nonce}`, sk: 'NONCE' }, ConsistentRead: true }),
    );
    return Item !== undefined;
  }
}
