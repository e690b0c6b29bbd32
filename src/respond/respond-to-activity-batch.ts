import type { Logger } from '@aws-lambda-powertools/logger';
import { activityBatchOf } from '../events/activity-batch';
import type { DeadLetters } from '../middleware/parse-event';
import type { Outcome } from './respond-to-signals';
import type { respondToKmsApiCalls } from './respond-to-kms-api-call';

/** What a batch came to: counts for the log, and the incidents it opened or joined. */
export interface BatchOutcome {
  status: 'responded' | 'rejected';
  records: number;
  rejected: number;
  responded: number;
  incidents: NonNullable<Extract<Outcome, { status: 'responded' }>['incidents']>;
}

/**
 * A batch of the activity stream: records that are not API-call events are kept in the dead-letter queue with the
 * reason (a retry cannot fix them, and failing the batch for them would hold up the shard); the rest are responded to
 * together. Anything else that fails, fails the batch: Lambda splits and retries it, and its memory writes carry the
 * batch's mark, so nothing is counted twice.
 */
export const respondToActivityBatch =
  (respond: ReturnType<typeof respondToKmsApiCalls>, deadLetters: DeadLetters, logger: Logger) =>
  async (event: unknown): Promise<BatchOutcome> => {
    const read = activityBatchOf(event);
    if (!read.ok) {
      const reason = `not a batch of the activity stream: ${read.problems.join('; ')}`;
      logger.error('rejected an invocation that is not a Kinesis batch', { problems: read.problems });
      await deadLetters.keep(event, reason);
      return { status: 'rejected', records: 0, rejected: 0, responded: 0, incidents: [] };
    }
    const { records, rejected, mark } = read.batch;
    for (const bad of rejected) {
      logger.error('rejected a malformed activity record', { sequenceNumber: bad.sequenceNumber, reason: bad.reason });
      await deadLetters.keep(bad.data, bad.reason);
    }
    const outcomes = records.length > 0 ? await respond(records, mark) : [];
    const incidents = outcomes.flatMap((o) => (o.status === 'responded' ? (o.incidents ?? []) : []));
    const responded = outcomes.filter((o) => o.status === 'responded').length;
    logger.info('activity batch', { shard: mark.shard, records: records.length, rejected: rejected.length, responded });
    return { status: 'responded', records: records.length, rejected: rejected.length, responded, incidents };
  };
