import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SlackDeferral } from '../approvals/slack-actions';
import { pressKey, type SealedPress } from '../approvals/sealed-press';

/**
 * Hands a verified Slack press to another invocation of the same function, asynchronously (InvocationType Event:
 * Lambda queues it and answers 202 at once), so the button press is answered within Slack's 3 seconds.
 * https://api.slack.com/interactivity/handling#acknowledgment_response
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 */
export class LambdaSelfInvoke implements SlackDeferral {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async defer(sealed: SealedPress): Promise<void> {
    const { StatusCode } = await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ [pressKey]: sealed })),
      }),
    );
    if (StatusCode !== 202) throw new Error(`Lambda did not queue the press (status ${StatusCode})`);
  }
}
