import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { MemoryConflictError } from '../errors';
import type { DetectionMemoryStore, KeyMemory, PairMemory, PrincipalMemory } from '../state/detection-memory';

type Entry = { version: number; value: PrincipalMemory | KeyMemory | PairMemory | undefined; dirty: boolean };

// A writer expects the version it read; anything else means another invocation wrote in between.
const unchangedSinceRead = 'attribute_not_exists(pk) OR version = :read';

const ids = {
  principal: (principalArn: string) => `MEMORY#PRINCIPAL#${principalArn}`,
  key: (keyArn: string) => `MEMORY#KEY#${keyArn}`,
  pair: (keyArn: string, principalArn: string) => `MEMORY#PAIR#${keyArn}#${principalArn}`,
};

/** Sources kept per (key, principal): the earliest ones; past this a principal is all over the map anyway. */
const maxSources = 100;

/**
 * Detection memory in the incident table. An invocation prefetches the entries its event may read, detection
 * runs on that copy, and flush writes each changed entry once, conditioned on the version it read. Entries
 * expire (TTL) after the retention period without use.
 */
export class DynamoDbDetectionMemory implements DetectionMemoryStore {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async prefetch({ principalArn, keyArn }: { principalArn?: string; keyArn?: string }): Promise<void> {
    this.entries = new Map();
    const wanted = [
      ...(principalArn ? [ids.principal(principalArn)] : []),
      ...(keyArn ? [ids.key(keyArn)] : []),
      ...(principalArn && keyArn ? [ids.pair(keyArn, principalArn)] : []),
    ];
    for (const pk of wanted) this.entries.set(pk, { version: 0, value: undefined, dirty: false });
    if (wanted.length === 0) return;
    let keys: Array<Record<string, string>> | undefined = wanted.map((pk) => ({ pk, sk: 'MEMORY' }));
    while (keys && keys.length > 0) {
      const { Responses, UnprocessedKeys } = await this.documents.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[this.tableName] ?? []) {
        this.entries.set(item.pk as string, { version: item.version as number, value: item.value, dirty: false });
      }
      keys = UnprocessedKeys?.[this.tableName]?.Keys as Array<Record<string, string>> | undefined;
    }
  }

  principal(principalArn: string) {
    return this.read(ids.principal(principalArn)) as PrincipalMemory | undefined;
  }
  key(keyArn: string) {
    return this.read(ids.key(keyArn)) as KeyMemory | undefined;
  }
  pair(keyArn: string, principalArn: string) {
    return this.read(ids.pair(keyArn, principalArn)) as PairMemory | undefined;
  }
  putPrincipal(principalArn: string, memory: PrincipalMemory) {
    this.write(ids.principal(principalArn), memory);
  }
  putKey(keyArn: string, memory: KeyMemory) {
    this.write(ids.key(keyArn), memory);
  }
  putPair(keyArn: string, principalArn: string, memory: PairMemory) {
    const sources = Object.entries(memory.sources);
    if (sources.length > maxSources) {
      memory.sources = Object.fromEntries(sources.sort(([, a], [, b]) => a - b).slice(0, maxSources));
    }
    this.write(ids.pair(keyArn, principalArn), memory);
  }

  async flush(): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.retentionDays * 86_400;
    const dirty = [...this.entries].filter(([, entry]) => entry.dirty);
    await Promise.all(
      dirty.map(async ([pk, entry]) => {
        const writeId = randomUUID();
        try {
          await this.documents.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { pk, sk: 'MEMORY', version: entry.version + 1, value: entry.value, expiresAt, writeId },
              ConditionExpression: unchangedSinceRead,
              ExpressionAttributeValues: { ':read': entry.version },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          entry.version += 1;
          entry.dirty = false;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          // Written by an earlier attempt of this same put (AWS applied it, then answered an error).
          if (error.Item && unmarshall(error.Item).writeId === writeId) {
            entry.version += 1;
            entry.dirty = false;
            return;
          }
          throw new MemoryConflictError(pk, { cause: error });
        }
      }),
    );
  }

  private read(pk: string) {
    const entry = this.entries.get(pk);
    if (!entry) throw new Error(`detection memory ${pk} read without prefetch`);
    return entry.value;
  }

  private write(pk: string, value: Entry['value']) {
    const entry = this.entries.get(pk);
    if (!entry) throw new Error(`detection memory ${pk} written without prefetch`);
    entry.value = value;
    entry.dirty = true;
  }
}
