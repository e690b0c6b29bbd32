import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbDetectionMemory } from '../../src/aws/dynamodb-detection-memory';
import { MemoryConflictError } from '../../src/errors';
import { failed, record, viaEventBridge } from '../support/records';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';

const keyArn = 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const alice = 'arn:aws:iam::111122223333:user/Alice';

describe('detection memory in DynamoDB, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let documents: DynamoDBDocumentClient;
  const now = () => new Date('2026-11-28T12:00:00.000Z');

  beforeAll(async () => {
    stack = await provisionResponderStack('memory');
    moto.aws.useStack(stack);
    documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  });

  const memory = () => new DynamoDbDetectionMemory(documents, stack.incidentTable, 30, now);

  const memoryItems = async () => {
    const { Items = [] } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }));
    return Items.map((item) => unmarshall(item)).filter((item) => String(item.pk).startsWith('MEMORY#'));
  };

  it('writes each changed entry once per flush, with a version and a TTL, and reads it back', async () => {
    const writer = memory();
    await writer.prefetch({ principalArn: alice, keyArn });
    expect(writer.pair(keyArn, alice)).toBeUndefined();
    writer.putKey(keyArn, { firstSeen: 1 });
    writer.putPair(keyArn, alice, { firstSeen: 1, sources: { '192.0.2.0': 1 }, hourly: { '10': 1 } });
    writer.putPair(keyArn, alice, { firstSeen: 1, sources: { '192.0.2.0': 1 }, hourly: { '10': 2 } });
    await writer.flush();

    const items = await memoryItems();
    expect(items.map((i) => i.pk).sort()).toEqual([`MEMORY#KEY#${keyArn}`, `MEMORY#PAIR#${keyArn}#${alice}`]);
    expect(items.every((i) => i.version === 1 && i.expiresAt === Date.parse('2026-12-28T12:00:00.000Z') / 1000)).toBe(
      true,
    );

    const reader = memory();
    await reader.prefetch({ principalArn: alice, keyArn });
    expect(reader.pair(keyArn, alice)).toEqual({ firstSeen: 1, sources: { '192.0.2.0': 1 }, hourly: { '10': 2 } });
    expect(reader.principal(alice)).toBeUndefined();
  });

  it('refuses to overwrite what another invocation wrote since it read', async () => {
    const first = memory();
    const second = memory();
    await first.prefetch({ principalArn: alice, keyArn });
    await second.prefetch({ principalArn: alice, keyArn });
    first.putKey(keyArn, { firstSeen: 5 });
    await first.flush();
    second.putKey(keyArn, { firstSeen: 7 });
    await expect(second.flush()).rejects.toThrow(MemoryConflictError);
    const reader = memory();
    await reader.prefetch({ keyArn });
    expect(reader.key(keyArn)).toEqual({ firstSeen: 5 });
  });

  it('counts a burst of refused calls across invocations of the real handler', async () => {
    Object.assign(process.env, responderEnvironment(stack));
    const { handler } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as {
      handler: (event: unknown, context: unknown) => Promise<{ status: string; incidents?: Array<{ id: string }> }>;
    };
    const refused = failed(record('Decrypt.iam-user'), 'AccessDeniedException');
    const outcomes = [];
    for (let i = 0; i < 20; i += 1) {
      const event = {
        ...refused,
        eventID: `burst-${i}`,
        eventTime: new Date(Date.parse('2026-11-28T11:00:00Z') + i * 10_000).toISOString(),
      };
      outcomes.push(await handler(viaEventBridge(event), localLambdaContext('onKmsActivity')));
    }
    expect(outcomes.slice(0, 19).every((o) => o.status === 'ignored')).toBe(true);
    expect(outcomes[19]).toMatchObject({ status: 'responded', incidents: [{ status: 'contained' }] });
    const principal = (await memoryItems()).find((i) => i.pk === `MEMORY#PRINCIPAL#${alice}`);
    expect(principal!.value.denied).toHaveLength(20);
    expect(principal!.version).toBe(20);
  });
});
