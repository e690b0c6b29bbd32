import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  JournalEntry,
  KeyHistory,
  KeyJournal,
  KeyPolicyChange,
  KeySettingsChange,
  KeyStateChange,
} from '../state/key-journal';

// Events can arrive late or twice: only a newer, different event moves the journal (supersedes() in key-journal.ts).
const isFirstChange = 'attribute_not_exists(#current)';
const isNewerChange = '(#current.#eventTime <= :eventTime AND #current.#eventId <> :eventId)';

/** A per-key journal of the latest change and the one before it, under sort key `sk` of the key's item. */
class DynamoDbKeyJournal<C extends JournalEntry> implements KeyJournal<C> {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sk: string,
  ) {}

  private keyOf(keyArn: string) {
    return { pk: `KEY#${keyArn}`, sk: this.sk };
  }

  async history(keyArn: string): Promise<KeyHistory<C> | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: this.keyOf(keyArn), ConsistentRead: true }),
    );
    if (!Item?.current) return undefined;
    return { current: Item.current as C, previous: (Item.previous ?? undefined) as C | undefined };
  }

  async record(keyArn: string, change: C): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(keyArn),
          // Every SET reads the item as it was, so previous gets the old current.
          UpdateExpression: 'SET #previous = if_not_exists(#current, :none), #current = :change, keyArn = :keyArn',
          ConditionExpression: `${isFirstChange} OR ${isNewerChange}`,
          ExpressionAttributeNames: {
            '#previous': 'previous',
            '#current': 'current',
            '#eventTime': 'eventTime',
            '#eventId': 'eventId',
          },
          ExpressionAttributeValues: {
            ':none': null,
            ':change': change,
            ':keyArn': keyArn,
            ':eventTime': change.eventTime,
            ':eventId': change.eventId,
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

export class DynamoDbKeyStateJournal extends DynamoDbKeyJournal<KeyStateChange> {
  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    super(documents, tableName, 'STATE');
  }
}

export class DynamoDbKeyPolicyJournal extends DynamoDbKeyJournal<KeyPolicyChange> {
  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    super(documents, tableName, 'POLICY');
  }
}

/** kms-warden:* tag changes by key administrators ('administrators') or by anyone else ('others'). */
export class DynamoDbKeySettingsJournal extends DynamoDbKeyJournal<KeySettingsChange> {
  constructor(documents: DynamoDBDocumentClient, tableName: string, who: 'administrators' | 'others') {
    super(documents, tableName, who === 'administrators' ? 'SETTINGS' : 'SETTINGS-OTHERS');
  }
}
