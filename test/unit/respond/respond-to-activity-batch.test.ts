import { Logger } from '@aws-lambda-powertools/logger';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, KMSClient, ListGrantsCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { kinesisEventOf } from '../../../src/local/kinesis-event';
import { respondToActivityBatch } from '../../../src/respond/respond-to-activity-batch';
import { respondToKmsApiCalls } from '../../../src/respond/respond-to-kms-api-call';
import type { DetectionMemoryStore, StreamMark } from '../../../src/state/detection-memory';
import { failed, record, viaEventBridge } from '../../support/records';
import { inMemoryResponderDeps } from '../../support/responder';

const streamArn = 'arn:aws:kinesis:us-west-2:111122223333:stream/kms-warden-test-activity';
const kms = mockClient(KMSClient);
const iam = mockClient(IAMClient);

/** A memory that says how it was used: one prefetch and one flush a batch, with the batch's mark. */
const watched = (memory: DetectionMemoryStore) => {
  const used = { prefetches: 0, flushes: [] as Array<StreamMark | undefined> };
  const store: DetectionMemoryStore = Object.assign(Object.create(memory) as DetectionMemoryStore, {
    prefetch: async (entries: Parameters<DetectionMemoryStore['prefetch']>[0]) => {
      used.prefetches += 1;
      return memory.prefetch(entries);
    },
    flush: async (mark?: StreamMark) => {
      used.flushes.push(mark);
      return memory.flush(mark);
    },
  });
  return { store, used };
};

/** A batch of the activity stream, each record an EventBridge event as the rules put it. */
const batch = (datas: unknown[]) =>
  kinesisEventOf(
    streamArn,
    'shardId-000000000003',
    datas.map((data, i) => ({
      data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
      sequenceNumber: `4959033827149025660855969253836157109592157598913658${String(i).padStart(4, '0')}`,
      partitionKey: 'AIDAEXAMPLE',
      arrivedAt: new Date('2026-11-28T12:00:00Z'),
    })),
  );

const refused = (i: number, at: number): CloudTrailRecord => ({
  ...failed(record('Decrypt.iam-user')),
  eventID: `refused-${i}`,
  eventTime: new Date(at).toISOString(),
});

const setup = () => {
  const { deps, incidents } = inMemoryResponderDeps();
  const { store, used } = watched(deps.memory);
  deps.memory = store;
  const kept: Array<{ event: unknown; reason: string }> = [];
  const deadLetters = { keep: async (event: unknown, reason: string) => void kept.push({ event, reason }) };
  const respond = respondToActivityBatch(respondToKmsApiCalls(deps), deadLetters, new Logger({ logLevel: 'SILENT' }));
  return { respond, used, kept, incidents };
};

beforeEach(() => {
  kms.reset();
  iam.reset();
  kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) });
  kms.on(ListGrantsCommand).resolves({ Grants: [] });
  iam.on(GetRoleCommand).rejects(new Error('not used'));
});

describe('a batch of the activity stream', () => {
  it('reads memory once and writes it once for the whole batch, marked with where the batch ends', async () => {
    const { respond, used } = setup();
    const start = Date.parse('2026-11-28T11:00:00Z');
    const outcome = await respond(batch([1, 2, 3].map((i) => viaEventBridge(refused(i, start + i * 1000)))));
    expect(outcome).toMatchObject({ status: 'responded', records: 3, rejected: 0, responded: 0 });
    expect(used.prefetches).toBe(1);
    expect(used.flushes).toEqual([
      { shard: 'shardId-000000000003', sequence: '49590338271490256608559692538361571095921575989136580002' },
    ]);
  });

  it('detects in time order whatever the arrival order: the twentieth refusal in time raises the one burst', async () => {
    const { respond, incidents } = setup();
    const start = Date.parse('2026-11-28T11:00:00Z');
    const calls = Array.from({ length: 25 }, (_, i) => refused(i, start + i * 10_000)).reverse();
    const outcome = await respond(batch(calls.map((call) => viaEventBridge(call))));
    expect(outcome.responded).toBe(1);
    const incident = await incidents.get(outcome.incidents[0]!.id);
    expect(incident!.signals.map((s) => [s.detector, s.eventId])).toEqual([['access-denied-burst', 'refused-19']]);
  });

  it('keeps a record that is not an API-call event in the dead-letter queue, with why, and responds to the rest', async () => {
    const { respond, kept, used } = setup();
    const start = Date.parse('2026-11-28T11:00:00Z');
    const outcome = await respond(
      batch([viaEventBridge(refused(1, start)), 'not json {', { 'detail-type': 'AWS API Call via CloudTrail' }]),
    );
    expect(outcome).toMatchObject({ status: 'responded', records: 1, rejected: 2 });
    expect(kept.map((k) => k.reason)).toEqual([
      expect.stringMatching(/^malformed activity record 4959\d+0001: /),
      expect.stringMatching(/^malformed activity record 4959\d+0002: .*detail/),
    ]);
    expect(kept[0]!.event).toBe('not json {');
    expect(used.flushes).toHaveLength(1);
  });

  it('keeps an invocation that is not a Kinesis batch in the dead-letter queue, and does not fail (no retry loop)', async () => {
    const { respond, kept, used } = setup();
    const event = { detail: record('Decrypt.iam-user') };
    expect(await respond(event)).toMatchObject({ status: 'rejected' });
    expect(kept).toEqual([{ event, reason: expect.stringMatching(/^not a batch of the activity stream: Records/) }]);
    expect(used.prefetches).toBe(0);
  });

  // What was learnt stays unwritten, so Lambda's retry of the batch reads the memory as it was and raises the same
  // signal (the DynamoDB store's side of it: test/integration/detection-memory.test.ts).
  it('fails the batch, before writing memory, when responding fails', async () => {
    const { respond, used, incidents } = setup();
    jest.spyOn(incidents, 'open').mockRejectedValueOnce(new Error('DynamoDB is throttling'));
    const start = Date.parse('2026-11-28T11:00:00Z');
    const calls = batch(Array.from({ length: 20 }, (_, i) => viaEventBridge(refused(i, start + i * 1000))));
    await expect(respond(calls)).rejects.toThrow('DynamoDB is throttling');
    expect(used.prefetches).toBe(1);
    expect(used.flushes).toEqual([]);
  });
});
