import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyStateChange, KeyStateHistory, KeyStateJournal } from '../state/key-state-journal';

// Events can arrive late or twice: only a newer, different event moves the journal.
const isFirstChange = 'attribute_not_exists(#current)';
const isNewerChange = '(#current.#eventTime <= :eventTime AND #current.#eventId <> :eventId)';

const keyOf = (keyArn: string) => ({ pk: `KEY#${keyArn}`, sk: 'STATE' });

export class DynamoDbKeyStateJournal implements KeyStateJournal {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async history(keyArn: string): Promise<KeyStateHistory | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(keyArn), ConsistentRead: true }),
    );
    if (!Item?.current) return undefined;
    return { current: Item.current as KeyStateChange, previous: (Item.previous ?? undefined) as KeyStateChange | undefined };
  }

  async record(keyArn: string, change: KeyStateChange): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(keyArn),
          // Every SET reads the item as it was, so previous gets the old current.
          UpdateExpression: 'SET #previous = if_not_exists(#current, :none), #current = :change, keyArn = :keyArn',
          ConditionExpression: `${isFirstChange} OR ${isNewerChange}`,
          ExpressionAttributeNames: { '#previous': 'previous', '#current': 'current', '#eventTime': 'eventTime', '#eventId': 'eventId' },
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
