import { z } from 'zod';
import type { DecisionJob } from '../approvals/carry-out';
import { executeDecisionJob } from '../approvals/executor';
import { SqsDeadLetters } from '../aws/sqs-dead-letters';
import { sqsClient } from '../aws/clients';
import type { Config } from '../config';
import { decisionDeps } from './approvals';

/** The executor's event: an asynchronous invocation by the approvals function, nothing else. */
export const decisionJobSchema = z.strictObject({
  incidentId: z.string().min(1).max(200),
  decisionId: z.string().uuid(),
});

/**
 * The private executor's composition root: carries out one recorded decision (src/approvals/carry-out.ts) with the
 * containment role, then answers the Slack press that made it, if one did. The handler parses the event with
 * decisionJobSchema (a malformed one is kept in the dead-letter queue with the reason, and not retried);
 * DecisionBusyError is thrown for Lambda to retry later.
 */
export const decisionExecutor = (config: Config) => {
  const deps = decisionDeps(config);
  return {
    carryOut: (job: DecisionJob) => executeDecisionJob(deps, job),
    deadLetters: new SqsDeadLetters(sqsClient(), config.deadLetterQueueUrl),
  };
};
