import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NonceStore } from '../approvals/nonce-store';

const neverUsed = 'attribute_not_exists(pk)';

export class DynamoDbNonceStore implements NonceStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async consume(nonce: string, incidentId: string, expiresAt: number): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          // Kept until the token would have expired anyway, then removed by TTL.
          Item: { pk: `NONCE#${nonce}`, sk: 'NONCE', incidentId, expiresAt },
          ConditionExpression: neverUsed,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
