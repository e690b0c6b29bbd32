import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/**
 * Hands an event to a function asynchronously (InvocationType Event): Lambda queues it and answers 202 at once, and
 * retries and dead-letters it as the function's own settings say. Anything but 202 means it was not queued.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 */
export const invokeAsynchronously = async (
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
  what: string,
): Promise<void> => {
  const { StatusCode } = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(event)),
    }),
  );
  if (StatusCode !== 202) throw new Error(`Lambda did not queue ${what} (status ${StatusCode})`);
};
