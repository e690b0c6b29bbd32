import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { KeyPolicyBusyError } from '../errors';
import { policyRefOf, type KeyPolicyLock, type PolicyTexts } from '../state/policy-texts';

/** Policy texts as items of their own, by reference; kept as long as the incidents that name them. */
export class DynamoDbPolicyTexts implements PolicyTexts {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = 365,
  ) {}

  async put(text: string): Promise<string> {
    const ref = policyRefOf(text);
    // The same text always has the same reference: writing it again changes nothing.
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `POLICYTEXT#${ref}`,
          sk: 'TEXT',
          text,
          expiresAt: Math.floor(Date.now() / 1000) + (this.retentionDays + 60) * 86_400,
        },
      }),
    );
    return ref;
  }

  async get(ref: string): Promise<string | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `POLICYTEXT#${ref}`, sk: 'TEXT' }, ConsistentRead: true }),
    );
    return Item?.text as string | undefined;
  }
}

// Named conditions of the lease.
const freeOrExpired = 'attribute_not_exists(pk) OR #until < :now';
const heldByMe = 'holder = :me';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lease per key policy in DynamoDB, across every function and invocation: taken with a conditional put, given back
 * after the read-modify-write, and void after `leaseMs` should its holder die.
 */
export class DynamoDbKeyPolicyLock implements KeyPolicyLock {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { leaseMs?: number; waitMs?: number } = {},
  ) {}

  async around<T>(keyArn: string, work: () => Promise<T>): Promise<T> {
    const me = randomUUID();
    const key = { pk: `LEASE#key-policy#${keyArn}`, sk: 'LEASE' };
    // Longer than any function runs (60 s at most here): a holder still working never loses it to a second writer.
    const leaseMs = this.options.leaseMs ?? 90_000;
    const deadline = Date.now() + (this.options.waitMs ?? 20_000);
    for (let attempt = 0; ; attempt += 1) {
      const now = Date.now();
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, holder: me, until: now + leaseMs, expiresAt: Math.floor(now / 1000) + 86_400 },
            ConditionExpression: freeOrExpired,
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':now': now },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        break;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Taken by an earlier attempt of this same put (applied, then answered with an error).
        if (error.Item && unmarshall(error.Item).holder === me) break;
        if (Date.now() > deadline) throw new KeyPolicyBusyError(keyArn, { cause: error });
        await sleep(Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
    try {
      return await work();
    } finally {
      await this.release(key, me);
    }
  }

  private async release(key: { pk: string; sk: string }, me: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #until = :zero',
          ConditionExpression: heldByMe,
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':zero': 0, ':me': me },
        }),
      );
    } catch {
      // Taken by another since (theirs now), or not given back for any other reason: a lease ends by itself, and an
      // error here must not hide the key policy change the work made.
    }
  }
}
