import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  DetectionMemoryStore,
  KeyMemory,
  PairMemory,
  PrincipalMemory,
  StreamMark,
} from '../state/detection-memory';
import { changeBetween, entryFrom, isEmptyChange, type MemoryChange, type MemoryKind } from '../state/memory-changes';

type Value = PrincipalMemory | KeyMemory | PairMemory;
type Entry = { kind: MemoryKind; read: Value | undefined; value: Value | undefined; dirty: boolean };

const ids = {
  principal: (principalArn: string) => `MEMORY#PRINCIPAL#${principalArn}`,
  key: (keyArn: string) => `MEMORY#KEY#${keyArn}`,
  pair: (keyArn: string, principalArn: string) => `MEMORY#PAIR#${keyArn}#${principalArn}`,
};

/** BatchGetItem reads 100 items a request at most (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html). */
const keysPerRead = 100;
/**
 * An update expression is 4 KB at most (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html,
 * "Expression parameters"): a change with more attributes than this is written in several updates, each of which
 * stands on its own (additions, sets and removals commute).
 */
const attributesPerUpdate = 80;
/** Updates in flight at once. */
const writers = 16;
/** Where an entry keeps the last sequence number of each shard that wrote it (a string: not one of its fields). */
const markPrefix = 'applied.';
/**
 * Kinesis sequence numbers are strings of up to 128 digits, increasing within a shard
 * (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html): padded, they compare as strings.
 */
const sequenceDigits = 128;

/**
 * Detection memory in the incident table, one item per principal, key and (key, principal), each field's map
 * entries flattened into attributes of their own (`hourly.492011`, `sources.10.0.0.1`). A batch of events
 * prefetches every entry it may read in a few BatchGetItem requests; detection runs on that copy; flush writes each
 * changed entry once, as what changed: counts added (ADD), first-seen times set if absent, the rest set or removed.
 * Two invocations writing one entry at once both land, whatever the order: no version, no conflict, no retry.
 * Entries expire (TTL) after the retention period without a change. An instance holds one batch at a time, as a
 * Lambda instance runs one invocation at a time.
 */
export class DynamoDbDetectionMemory implements DetectionMemoryStore {
  private entries = new Map<string, Entry>();
  /** Requests sent and items written, for the activity benchmark and the logs. */
  readonly sent = { reads: 0, writes: 0, itemsWritten: 0 };

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async prefetch(wanted: ReadonlyArray<{ principalArn?: string; keyArn?: string }>): Promise<void> {
    this.entries = new Map();
    for (const { principalArn, keyArn } of wanted) {
      if (principalArn) this.expect(ids.principal(principalArn), 'principal');
      if (keyArn) this.expect(ids.key(keyArn), 'key');
      if (principalArn && keyArn) this.expect(ids.pair(keyArn, principalArn), 'pair');
    }
    const pks = [...this.entries.keys()];
    await Promise.all(
      Array.from({ length: Math.ceil(pks.length / keysPerRead) }, (_, i) =>
        this.read(pks.slice(i * keysPerRead, (i + 1) * keysPerRead)),
      ),
    );
  }

  principal(principalArn: string) {
    return this.valueOf(ids.principal(principalArn)) as PrincipalMemory | undefined;
  }
  key(keyArn: string) {
    return this.valueOf(ids.key(keyArn)) as KeyMemory | undefined;
  }
  pair(keyArn: string, principalArn: string) {
    return this.valueOf(ids.pair(keyArn, principalArn)) as PairMemory | undefined;
  }
  putPrincipal(principalArn: string, memory: PrincipalMemory) {
    this.write(ids.principal(principalArn), memory);
  }
  putKey(keyArn: string, memory: KeyMemory) {
    this.write(ids.key(keyArn), memory);
  }
  putPair(keyArn: string, principalArn: string, memory: PairMemory) {
    this.write(ids.pair(keyArn, principalArn), memory);
  }

  async flush(mark?: StreamMark): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.retentionDays * 86_400;
    const updates: Array<() => Promise<void>> = [];
    for (const [pk, entry] of this.entries) {
      if (!entry.dirty || !entry.value) continue;
      const change = changeBetween(entry.kind, entry.read, entry.value);
      entry.dirty = false;
      if (isEmptyChange(change)) continue;
      // Read again as what was written: a second flush of this batch writes only what changed since.
      entry.read = structuredClone(entry.value);
      this.sent.itemsWritten += 1;
      // The first part carries the mark and the counts (they come first in partsOf); the others set and remove,
      // which a retry repeats harmlessly. A stream batch's counts for one entry are the hours its events span (the
      // stream keeps a day), well under a part's 80; past 80, a retried batch would count the rest again. Putting
      // more in one update is not the way: moto answers an update of about 170 counts with a 500.
      for (const [index, part] of partsOf(change).entries())
        updates.push(() => this.update(pk, part, expiresAt, index === 0 ? mark : undefined));
    }
    let next = 0;
    const writer = async () => {
      while (next < updates.length) await updates[next++]!();
    };
    await Promise.all(Array.from({ length: Math.min(writers, updates.length) }, writer));
  }

  private expect(pk: string, kind: MemoryKind) {
    if (!this.entries.has(pk)) this.entries.set(pk, { kind, read: undefined, value: undefined, dirty: false });
  }

  private async read(pks: string[]) {
    let keys: Array<Record<string, string>> | undefined = pks.map((pk) => ({ pk, sk: 'MEMORY' }));
    while (keys && keys.length > 0) {
      this.sent.reads += 1;
      const { Responses, UnprocessedKeys } = await this.documents.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[this.tableName] ?? []) {
        const entry = this.entries.get(item.pk as string)!;
        const value = entryFrom(entry.kind, item) as Value | undefined;
        entry.read = value;
        entry.value = value && structuredClone(value);
      }
      keys = UnprocessedKeys?.[this.tableName]?.Keys as Array<Record<string, string>> | undefined;
    }
  }

  private async update(pk: string, change: MemoryChange, expiresAt: number, mark: StreamMark | undefined) {
    const names: Record<string, string> = {};
    const values: Record<string, number | string | Uint8Array> = { ':expires': expiresAt };
    const name = (attribute: string) => {
      const placeholder = `#a${Object.keys(names).length}`;
      names[placeholder] = attribute;
      return placeholder;
    };
    const value = (v: number | Uint8Array) => {
      const placeholder = `:v${Object.keys(values).length}`;
      values[placeholder] = v;
      return placeholder;
    };
    const sets = ['expiresAt = :expires'];
    let condition: string | undefined;
    if (mark) {
      // Named condition: no batch of this shard that reached as far has written this entry.
      const reached = name(`${markPrefix}${mark.shard}`);
      values[':mark'] = mark.sequence.padStart(sequenceDigits, '0');
      condition = `attribute_not_exists(${reached}) OR ${reached} < :mark`;
      sets.push(`${reached} = :mark`);
    }
    for (const [attribute, v] of change.set) sets.push(`${name(attribute)} = ${value(v)}`);
    for (const [attribute, v] of change.setIfAbsent) {
      const n = name(attribute);
      sets.push(`${n} = if_not_exists(${n}, ${value(v)})`);
    }
    const adds = change.add.map(([attribute, v]) => `${name(attribute)} ${value(v)}`);
    const removes = change.remove.map(name);
    this.sent.writes += 1;
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk: 'MEMORY' },
          UpdateExpression: [
            `SET ${sets.join(', ')}`,
            ...(adds.length > 0 ? [`ADD ${adds.join(', ')}`] : []),
            ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
          ].join(' '),
          ...(condition ? { ConditionExpression: condition } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // A retried batch: this entry already has it.
      if (!(mark && error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private valueOf(pk: string) {
    const entry = this.entries.get(pk);
    if (!entry) throw new Error(`detection memory ${pk} read without prefetch`);
    return entry.value;
  }

  private write(pk: string, value: Value) {
    const entry = this.entries.get(pk);
    if (!entry) throw new Error(`detection memory ${pk} written without prefetch`);
    entry.value = value;
    entry.dirty = true;
  }
}

/** A change cut into updates of at most `attributesPerUpdate` attributes each. */
const partsOf = (change: MemoryChange): MemoryChange[] => {
  const all = [
    ...change.add.map((a) => ({ add: [a] })),
    ...change.set.map((s) => ({ set: [s] })),
    ...change.setIfAbsent.map((s) => ({ setIfAbsent: [s] })),
    ...change.remove.map((r) => ({ remove: [r] })),
  ];
  const parts: MemoryChange[] = [];
  for (let i = 0; i < all.length; i += attributesPerUpdate) {
    const part: MemoryChange = { add: [], set: [], setIfAbsent: [], remove: [] };
    for (const one of all.slice(i, i + attributesPerUpdate)) {
      if ('add' in one) part.add.push(...one.add);
      if ('set' in one) part.set.push(...one.set);
      if ('setIfAbsent' in one) part.setIfAbsent.push(...one.setIfAbsent);
      if ('remove' in one) part.remove.push(...one.remove);
    }
    parts.push(part);
  }
  return parts;
};
