import type { KinesisStreamEvent } from 'aws-lambda';

/** A record of a Kinesis stream, as GetRecords answers it. */
export interface StreamRecord {
  data: Uint8Array;
  sequenceNumber: string;
  partitionKey: string;
  arrivedAt: Date;
}

/**
 * The event Lambda's event source mapping invokes a function with, for records of one shard
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): what the local demo, `kms-warden handle` and the
 * tests hand the activity function, as Lambda would.
 */
export const kinesisEventOf = (
  streamArn: string,
  shardId: string,
  records: readonly StreamRecord[],
  region = streamArn.split(':')[3] ?? 'us-east-1',
): KinesisStreamEvent => ({
  Records: records.map((record) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: Buffer.from(record.data).toString('base64'),
      approximateArrivalTimestamp: record.arrivedAt.getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${streamArn.split(':')[4]}:role/kms-warden-local-on-kms-activity`,
    awsRegion: region,
    eventSourceARN: streamArn,
  })),
});
