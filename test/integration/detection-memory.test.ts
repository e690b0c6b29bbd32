import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbDetectionMemory } from '../../src/aws/dynamodb-detection-memory';
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

  it('writes each changed entry once per flush, as what changed, with a TTL, and reads it back', async () => {
    const writer = memory();
    await writer.prefetch([{ principalArn: alice, keyArn }]);
    expect(writer.pair(keyArn, alice)).toBeUndefined();
    writer.putKey(keyArn, { firstSeen: 1 });
    writer.putPair(keyArn, alice, { firstSeen: 1, sources: { '192.0.2.0': 1 }, hourly: { '10': 1 } });
    writer.putPair(keyArn, alice, {
      firstSeen: 1,
      sources: { '192.0.2.0': 1 },
      hourly: { '10': 2 },
      callsThisHour: Uint8Array.from([0, 0, 0, 10, 1, 0, 0, 0, 1]),
    });
    await writer.flush();
    expect(writer.sent).toEqual({ reads: 1, writes: 2, itemsWritten: 2 });

    const items = await memoryItems();
    expect(items.map((i) => i.pk).sort()).toEqual([`MEMORY#KEY#${keyArn}`, `MEMORY#PAIR#${keyArn}#${alice}`]);
    expect(items.every((i) => i.expiresAt === Date.parse('2026-12-28T12:00:00.000Z') / 1000)).toBe(true);
    // Each map entry is an attribute of its own, so it changes on its own.
    expect(items.find((i) => i.pk.startsWith('MEMORY#PAIR#'))).toMatchObject({
      firstSeen: 1,
      'sources.192.0.2.0': 1,
      'hourly.10': 2,
      // usage-spike's distinct calls: binary, set whole.
      callsThisHour: Uint8Array.from([0, 0, 0, 10, 1, 0, 0, 0, 1]),
    });

    const reader = memory();
    await reader.prefetch([{ principalArn: alice, keyArn }]);
    expect(reader.pair(keyArn, alice)).toEqual({
      firstSeen: 1,
      sources: { '192.0.2.0': 1 },
      hourly: { '10': 2 },
      callsThisHour: Uint8Array.from([0, 0, 0, 10, 1, 0, 0, 0, 1]),
    });
    expect(reader.principal(alice)).toBeUndefined();
    // Nothing changed since the read: nothing written.
    await reader.flush();
    expect(reader.sent.writes).toBe(0);
  });

  it('lands two invocations that change one entry at once, whatever the order: counts add up, first times stay', async () => {
    const pairOf = (m: DynamoDbDetectionMemory) => m.pair(keyArn, bob);
    const bob = 'arn:aws:iam::111122223333:role/bob';
    const [first, second] = [memory(), memory()];
    await first.prefetch([{ principalArn: bob, keyArn }]);
    await second.prefetch([{ principalArn: bob, keyArn }]);
    expect(pairOf(first)).toBeUndefined();
    first.putPair(keyArn, bob, { firstSeen: 5, sources: { '198.51.100.1': 5 }, hourly: { '10': 3 } });
    second.putPair(keyArn, bob, { firstSeen: 7, sources: { '203.0.113.9': 7 }, hourly: { '10': 4, '11': 1 } });
    await second.flush();
    await first.flush();
    const reader = memory();
    await reader.prefetch([{ principalArn: bob, keyArn }]);
    expect(pairOf(reader)).toEqual({
      firstSeen: 7,
      sources: { '198.51.100.1': 5, '203.0.113.9': 7 },
      hourly: { '10': 7, '11': 1 },
    });
    // An old hour dropped is removed; a new one added to.
    const next = pairOf(reader)!;
    delete next.hourly['10'];
    next.hourly['12'] = 1;
    reader.putPair(keyArn, bob, next);
    await reader.flush();
    const again = memory();
    await again.prefetch([{ principalArn: bob, keyArn }]);
    expect(pairOf(again)!.hourly).toEqual({ '11': 1, '12': 1 });
  });

  it('writes a retried batch of a stream only where it did not land the first time: counts are not added twice', async () => {
    const carol = 'arn:aws:iam::111122223333:role/carol';
    const batch = async (sequence: string, calls: number) => {
      const m = memory();
      await m.prefetch([{ principalArn: carol, keyArn }]);
      const pair = m.pair(keyArn, carol) ?? { firstSeen: 1, sources: {}, hourly: {} };
      pair.hourly['10'] = (pair.hourly['10'] ?? 0) + calls;
      m.putPair(keyArn, carol, pair);
      await m.flush({ shard: 'shardId-000000000001', sequence });
    };
    await batch('49590338271490256608559692538361571095921575989136588898', 40);
    // Retried whole, then as a half (Lambda bisects a failing batch): already there.
    await batch('49590338271490256608559692538361571095921575989136588898', 40);
    await batch('49590338271490256608559692538361571095921575989136588001', 20);
    // The next batch of the shard, whose sequence number has more digits, lands.
    await batch('149590338271490256608559692538361571095921575989136588899', 5);
    const reader = memory();
    await reader.prefetch([{ principalArn: carol, keyArn }]);
    expect(reader.pair(keyArn, carol)!.hourly).toEqual({ '10': 45 });
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
    // The last 20 refused calls, each under its event id: a redelivery is the same attribute.
    expect(Object.keys(principal!).filter((name) => name.startsWith('denied.'))).toHaveLength(20);
  });
});
