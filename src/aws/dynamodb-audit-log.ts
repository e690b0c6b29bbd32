import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditLog } from '../approvals/ports';

// Every entry is new: a unique sort key, written only if absent.
const isNew = 'attribute_not_exists(pk)';

/** Audit entries by day, kept for the incident retention period. */
export class DynamoDbAuditLog implements AuditLog {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.put(entry);
    } catch (error) {
      // The sort key is this call's own: an entry already there is this call's, written by an attempt AWS applied
      // before answering an error.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async put(entry: AuditEntry): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `AUDIT#${entry.at.slice(0, 10)}`,
          sk: `${entry.at}#${randomUUID()}`,
          ...entry,
          expiresAt: Math.floor(Date.parse(entry.at) / 1000) + this.retentionDays * 86_400,
        },
        ConditionExpression: isNew,
      }),
    );
  }
}
