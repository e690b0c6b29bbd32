import { KinesisDataStreamSchema } from '@aws-lambda-powertools/parser/schemas/kinesis';
import type { StreamMark } from '../state/detection-memory';
import { cloudTrailApiCallEventSchema, type CloudTrailRecord } from './cloudtrail-record';
import { problemsOf } from './input';

/** A batch Lambda read from the activity stream: the events it can respond to, and those it cannot. */
export interface ActivityBatch {
  records: CloudTrailRecord[];
  /** Records whose data is not an API-call event: kept with the reason, never retried (a retry cannot fix them). */
  rejected: Array<{ sequenceNumber: string; data: unknown; reason: string }>;
  /** Where the batch ends in its shard, so a retry of it writes nothing twice. */
  mark: StreamMark;
}

export type ActivityBatchResult = { ok: true; batch: ActivityBatch } | { ok: false; problems: string[] };

/**
 * Reads a Kinesis batch of the activity stream (EventBridge events, one per record, as its rules put them). The
 * batch's shard and last sequence number are its mark.
 */
export const activityBatchOf = (event: unknown): ActivityBatchResult => {
  const parsed = KinesisDataStreamSchema.safeParse(event);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  const records: CloudTrailRecord[] = [];
  const rejected: ActivityBatch['rejected'] = [];
  for (const { kinesis } of parsed.data.Records) {
    const call = cloudTrailApiCallEventSchema.safeParse(kinesis.data);
    if (call.success) records.push(call.data.detail);
    else
      rejected.push({
        sequenceNumber: kinesis.sequenceNumber,
        data: kinesis.data,
        reason: `malformed activity record ${kinesis.sequenceNumber}: ${problemsOf(call.error).join('; ')}`,
      });
  }
  const last = parsed.data.Records.at(-1)!;
  return {
    ok: true,
    batch: {
      records,
      rejected,
      mark: { shard: last.eventID.split(':')[0]!, sequence: last.kinesis.sequenceNumber },
    },
  };
};
