import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbDetectionMemory } from '../../src/aws/dynamodb-detection-memory';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { kmsApiCallRecord, roleIdOf, viaEventBridge } from '../../src/local/cloudtrail-records';
import { kinesisEventOf } from '../../src/local/kinesis-event';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import { hourOf } from '../../src/detections/usage-spike';
import { useMoto } from '../support/moto';
import { createWorkloadRole } from '../support/roles';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; records: number; responded: number; incidents: Array<{ id: string }> }>;

const account = '123456789012';
const streamArn = `arn:aws:kinesis:us-east-1:${account}:stream/kms-warden-spike-activity`;
const hour = 3_600_000;

/** Batches of a shard, `size` records each, as Lambda reads them; sequence numbers go on from where the last ended. */
let sequence = 10n ** 55n;
const batches = (events: ReturnType<typeof viaEventBridge>[], size: number, partitionKey: string, shard = 1) =>
  Array.from({ length: Math.ceil(events.length / size) }, (_, b) =>
    kinesisEventOf(
      streamArn,
      `shardId-00000000000${shard}`,
      events.slice(b * size, (b + 1) * size).map((event) => ({
        data: Buffer.from(JSON.stringify(event)),
        sequenceNumber: String((sequence += 1n)),
        partitionKey,
        arrivedAt: new Date(event.time),
      })),
    ),
  );

describe('the activity function under a spike, with its own role, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let handler: Handler;
  const now = Date.now();

  beforeAll(async () => {
    stack = await provisionResponderStack('spike');
    moto.aws.useStack(stack);
    Object.assign(process.env, responderEnvironment(stack));
    ({ handler } = (await moto.asFunction(
      'onKmsActivity',
      () => import('../../handlers/on-kms-activity'),
    )) as unknown as {
      handler: Handler;
    });
  });

  /** A role and a key in the emulator, a week of its ordinary use (two calls an hour), and `calls` calls this hour. */
  const scenario = async (name: string, calls: number) => {
    const roleArn = await createWorkloadRole(name, account);
    const { KeyMetadata } = await new KMSClient({}).send(new CreateKeyCommand({ Description: name }));
    const keyArn = KeyMetadata!.Arn!;
    const call = (at: number, n: string) =>
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'Decrypt',
          keyArn,
          caller: { roleArn, sessionName: `i-${n.length % 3}`, sourceIp: '10.0.4.20' },
          requestParameters: { keyId: keyArn },
          eventTime: new Date(at),
          eventId: `${name}-${n}`,
          readOnly: true,
        }),
      );
    const thisHour = hourOf(now) * hour;
    const week = Array.from({ length: 8 * 24 * 2 }, (_, i) =>
      call(thisHour - 8 * 24 * hour + i * (hour / 2), `week-${i}`),
    );
    const spike = Array.from({ length: calls }, (_, i) => call(thisHour + 60_000 + i * 50, `spike-${i}`));
    return { keyArn, roleArn, partitionKey: roleIdOf(roleArn), week, spike, thisHour };
  };

  const memoryOf = async (keyArn: string, roleArn: string) => {
    const memory = new DynamoDbDetectionMemory(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      stack.incidentTable,
      30,
    );
    await memory.prefetch([{ principalArn: roleArn, keyArn }]);
    return memory.pair(keyArn, roleArn)!;
  };

  const deadLetters = async () => {
    const { Attributes } = await new SQSClient({}).send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages);
  };

  /** Within three standard errors of usage-spike's estimate (about 3.3% each) of the true count. */
  const closeTo = (count: number, truth: number) => Math.abs(count - truth) / truth < 0.1;

  it('raises one usage-spike signal for 20,000 calls by one principal on one key, in order on its shard, a quarter of them redelivered', async () => {
    const { keyArn, roleArn, partitionKey, week, spike, thisHour } = await scenario('spiky-app', 20_000);
    const context = localLambdaContext('kms-warden-spike-onKmsActivity');
    for (const batch of batches(week, 1000, partitionKey)) expect((await handler(batch, context)).responded).toBe(0);
    const outcomes = [];
    for (const batch of batches(spike, 1000, partitionKey)) outcomes.push(await handler(batch, context));
    const counted = (await memoryOf(keyArn, roleArn)).hourly[String(thisHour / hour)]!;
    // EventBridge puts 5,000 of them on the stream again (new sequence numbers, the same eventIDs), batches later.
    for (const batch of batches(spike.slice(10_000, 15_000), 1000, partitionKey))
      outcomes.push(await handler(batch, context));

    expect(outcomes.map((o) => o.records)).toEqual(Array.from({ length: 25 }, () => 1000));
    expect(outcomes.reduce((sum, o) => sum + o.responded, 0)).toBe(1);
    const [incident] = outcomes.flatMap((o) => o.incidents);
    const recorded = await new DynamoDbIncidentStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      stack.incidentTable,
    ).get(incident!.id);
    expect(recorded!.signals.map((s) => s.detector)).toEqual(['usage-spike']);
    // Every call counted once, in one item written once a batch: the redelivered ones added nothing.
    const pair = await memoryOf(keyArn, roleArn);
    expect(pair.hourly[String(thisHour / hour)]).toBe(counted);
    expect([counted, closeTo(counted, 20_000)]).toEqual([counted, true]);
    // The hour's sketch: its hour (4 bytes), then the sketch's tag (2), then 512 bytes of registers.
    const header = Buffer.alloc(5);
    header.writeUInt32BE(thisHour / hour, 0);
    header[4] = 2;
    expect([Buffer.from(pair.callsThisHour!.subarray(0, 5)), pair.callsThisHour!.length]).toEqual([header, 517]);
    expect(await deadLetters()).toBe(0);
  }, 300_000);

  // Lambda reads a shard's batches one at a time (the stack leaves ParallelizationFactor at 1): what runs at once is
  // the shards. Four roles on four shards spike on one key together, each batch retried when it fails, as Lambda does.
  it('counts every call once while the shards run at once on one key, retried batches included', async () => {
    const roles = await Promise.all(
      ['web', 'worker', 'batch', 'cron'].map((name) => scenario(`shared-${name}`, 5_000)),
    );
    const context = localLambdaContext('kms-warden-spike-onKmsActivity');
    // A function instance per shard, as Lambda runs them: an instance takes one invocation at a time.
    const instances: Handler[] = [];
    for (const _ of roles)
      await jest.isolateModulesAsync(async () => {
        const loaded = (await moto.asFunction(
          'onKmsActivity',
          () => import('../../handlers/on-kms-activity'),
        )) as unknown as {
          handler: Handler;
        };
        instances.push(loaded.handler);
      });
    // All four on the first role's key: one key item, four pairs.
    const { keyArn } = roles[0]!;
    const onKey = (events: ReturnType<typeof viaEventBridge>[]) =>
      events.map((event) => ({
        ...event,
        detail: {
          ...event.detail,
          requestParameters: { keyId: keyArn },
          resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: keyArn }],
        },
      }));
    let retried = 0;
    const outcomes = await Promise.all(
      roles.map(async (role, shard) => {
        const done = [];
        for (const batch of batches([...onKey(role.week), ...onKey(role.spike)], 1000, role.partitionKey, shard)) {
          for (let attempt = 1; ; attempt += 1) {
            try {
              done.push(await instances[shard]!(batch, context));
              break;
            } catch (error) {
              if (attempt >= 5) throw error;
              retried += 1;
            }
          }
        }
        return done;
      }),
    );

    for (const role of roles) {
      const counted = (await memoryOf(keyArn, role.roleArn)).hourly[String(role.thisHour / hour)]!;
      expect([role.roleArn, counted, closeTo(counted, 5_000)]).toEqual([role.roleArn, counted, true]);
    }
    // One usage spike each: four principals, four incidents.
    const incidents = outcomes.map((done) => new Set(done.flatMap((o) => o.incidents.map((i) => i.id))).size);
    expect(incidents).toEqual([1, 1, 1, 1]);
    expect(retried).toBeLessThan(5);
    expect(await deadLetters()).toBe(0);
  }, 300_000);
});
