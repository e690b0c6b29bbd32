import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { RekeyPlanner } from '../respond/responder-deps';

/**
 * Asks the planning function (handlers/plan-rekey.ts) to list what re-keying an incident's key would do: an
 * asynchronous invocation (Lambda queues it and answers 202), with the incident's id only, so the responder never
 * waits for inventories and never holds their permissions. https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 */
export class LambdaRekeyPlanner implements RekeyPlanner {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async request(incidentId: string): Promise<void> {
    const { StatusCode } = await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ incidentId })),
      }),
    );
    if (StatusCode !== 202) throw new Error(`Lambda did not queue the re-key plan (status ${StatusCode})`);
  }
}
