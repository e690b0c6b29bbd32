import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamEvent } from 'aws-lambda';
import { kinesisEventOf } from './kinesis-event';

/** What EventBridge takes from an event at a partition key path ('$.detail.userIdentity.principalId'). */
export const valueAtPath = (event: unknown, path: string): string | undefined => {
  let value: unknown = event;
  for (const step of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return typeof value === 'string' ? value : undefined;
};

/** Shards the demo's stream has: an on-demand stream starts with 4. */
const shards = 4;

/**
 * The activity stream in the emulator: the demo's router puts the events the activity rules matched into it (moto's
 * EventBridge answers 500 to a Kinesis target), with the partition key EventBridge would take, and the demo reads it
 * shard by shard in batches, as Lambda's event source mapping does, from where it last stopped.
 */
export class LocalActivityStream {
  /** Per shard, the last sequence number read. */
  private readonly read = new Map<string, string>();

  private constructor(
    private readonly kinesis: KinesisClient,
    readonly name: string,
    readonly arn: string,
  ) {}

  static async create(stage: string): Promise<LocalActivityStream> {
    // HTTP/1.1: the Kinesis client speaks HTTP/2 by default (for SubscribeToShard), which the emulator does not.
    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
    const name = `kms-warden-${stage}-activity`;
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return new LocalActivityStream(kinesis, name, StreamDescriptionSummary!.StreamARN!);
  }

  /** Puts events in, each under its partition key (EventBridge's event id when the rule names no path). */
  async put(events: ReadonlyArray<{ event: { id: string }; partitionKeyPath?: string }>): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      const { FailedRecordCount } = await this.kinesis.send(
        new PutRecordsCommand({
          StreamName: this.name,
          Records: events.slice(i, i + 500).map(({ event, partitionKeyPath }) => ({
            Data: Buffer.from(JSON.stringify(event)),
            PartitionKey: (partitionKeyPath && valueAtPath(event, partitionKeyPath)) || event.id,
          })),
        }),
      );
      if (FailedRecordCount) throw new Error(`the activity stream refused ${FailedRecordCount} records`);
    }
  }

  /** The batches waiting in the stream, shard by shard, at most `batchSize` records each: every one, then none. */
  async *batches(batchSize: number): AsyncGenerator<KinesisStreamEvent> {
    const { Shards = [] } = await this.kinesis.send(new ListShardsCommand({ StreamName: this.name }));
    for (const { ShardId } of Shards) {
      const after = this.read.get(ShardId!);
      let { ShardIterator } = await this.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: this.name,
          ShardId,
          ...(after
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      while (ShardIterator) {
        const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: batchSize }));
        const records = page.Records ?? [];
        if (records.length === 0) break;
        yield kinesisEventOf(
          this.arn,
          ShardId!,
          records.map((r) => ({
            data: r.Data!,
            sequenceNumber: r.SequenceNumber!,
            partitionKey: r.PartitionKey!,
            arrivedAt: r.ApproximateArrivalTimestamp ?? new Date(),
          })),
        );
        this.read.set(ShardId!, records.at(-1)!.SequenceNumber!);
        ShardIterator = page.NextShardIterator;
      }
    }
  }
}
