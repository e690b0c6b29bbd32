import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditLog } from '../approvals/ports';

// Every entry is new: a unique sort key, written only if absent.
const isNew = 'attribute_not_exists(pk)';

/** What of a request an entry keeps, at most: the sender writes the user agent and the path. */
const bounds = { reason: 2000, userAgent: 512, sourceIp: 64, incidentId: 200, action: 50 };
const bounded = (entry: AuditEntry): AuditEntry =>
  Object.fromEntries(
    Object.entries(entry).map(([name, value]) => {
      const limit = bounds[name as keyof typeof bounds];
      return [name, typeof value === 'string' && limit && value.length > limit ? `${value.slice(0, limit)}…` : value];
    }),
  ) as AuditEntry;

/**
 * Audit entries by day, kept for the incident retention period. Refusals are counted per source address and minute
 * (an AUDITRATE item, kept a day): past `refusalsPerMinute` from one address, the count goes on and the entries stop,
 * after one saying so, so a flood of forged links cannot fill the table or its bill; decisions are always written.
 */
export class DynamoDbAuditLog implements AuditLog {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly refusalsPerMinute = 60,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const limited = entry.outcome === 'refused' ? await this.countRefusal(entry) : 'record';
    if (limited === 'drop') return;
    const written =
      limited === 'record'
        ? entry
        : {
            ...entry,
            reason: `rate limited: more than ${this.refusalsPerMinute} refusals from ${entry.sourceIp ?? 'an unknown address'} in the minute from ${entry.at.slice(0, 16)}; the rest are counted in AUDITRATE#${entry.sourceIp ?? 'unknown'}, not recorded one by one. This one: ${entry.reason}`,
          };
    try {
      await this.put(bounded(written));
    } catch (error) {
      // The sort key is this call's own: an entry already there is this call's, written by an attempt AWS applied
      // before answering an error.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Counts a refusal from its source in its minute: record it, record that the rest are only counted, or drop it. */
  private async countRefusal(entry: AuditEntry): Promise<'record' | 'last' | 'drop'> {
    const { Attributes } = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `AUDITRATE#${(entry.sourceIp ?? 'unknown').slice(0, bounds.sourceIp)}`, sk: entry.at.slice(0, 16) },
        UpdateExpression: 'ADD refusals :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeValues: { ':one': 1, ':expiresAt': Math.floor(Date.parse(entry.at) / 1000) + 86_400 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = Number(Attributes?.refusals ?? 1);
    return count <= this.refusalsPerMinute ? 'record' : count === this.refusalsPerMinute + 1 ? 'last' : 'drop';
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
