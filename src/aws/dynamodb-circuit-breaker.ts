import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CircuitBreaker } from '../policy/circuit-breaker';

// A slot is free while fewer incidents than the cap hold one; an incident that already holds one keeps it.
const slotFree = 'attribute_not_exists(incidents) OR size(incidents) < :cap OR contains(incidents, :id)';

export class DynamoDbCircuitBreaker implements CircuitBreaker {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly perHour: number,
  ) {}

  async allowDisable(accountId: string, incidentId: string, at: Date): Promise<boolean> {
    const hour = at.toISOString().slice(0, 13);
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `BREAKER#disable-key#${accountId}`, sk: hour },
          UpdateExpression: 'ADD incidents :ids SET expiresAt = :expires',
          ConditionExpression: slotFree,
          ExpressionAttributeValues: {
            ':ids': new Set([incidentId]),
            ':id': incidentId,
            ':cap': this.perHour,
            ':expires': Math.floor(at.getTime() / 1000) + 2 * 86_400,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
