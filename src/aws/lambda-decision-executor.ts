import type { LambdaClient } from '@aws-sdk/client-lambda';
import { invokeAsynchronously } from './lambda-async';
import type { DecisionJob } from '../approvals/carry-out';
import type { DecisionExecutor } from '../approvals/decide';

/**
 * Hands a recorded decision to the private executor function, asynchronously (InvocationType Event: Lambda queues
 * it and answers 202 at once), so the internet-facing function answers within Slack's 3 seconds and never holds the
 * containment role itself. Lambda retries a failed asynchronous invocation twice (the executor throws while another
 * decision of the incident is being carried out), then sends it to the dead-letter queue.
 * https://api.slack.com/interactivity/handling#acknowledgment_response
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 */
export class LambdaDecisionExecutor implements DecisionExecutor {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async dispatch(job: DecisionJob): Promise<'handed-over'> {
    await invokeAsynchronously(this.lambda, this.functionName, job, 'the decision');
    return 'handed-over';
  }
}
