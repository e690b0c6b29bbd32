import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { LambdaRekeyPlanner } from '../../../src/aws/lambda-rekey-planner';

const lambda = mockClient(LambdaClient);

describe('asking the planning function for a re-key plan', () => {
  beforeEach(() => lambda.reset());

  it("invokes it asynchronously with the incident's id only, making its client once, on the first request", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    let made = 0;
    const planner = new LambdaRekeyPlanner(
      async () => ((made += 1), new LambdaClient({ region: 'us-east-1' })),
      'kms-warden-prod-planRekey',
    );
    expect(made).toBe(0);
    await planner.request('kw-1');
    await planner.request('kw-2');
    expect(made).toBe(1);
    const calls = lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.FunctionName, input.InvocationType])).toEqual([
      ['kms-warden-prod-planRekey', 'Event'],
      ['kms-warden-prod-planRekey', 'Event'],
    ]);
    expect(calls.map((input) => JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8')))).toEqual([
      { incidentId: 'kw-1' },
      { incidentId: 'kw-2' },
    ]);
  });

  it('fails when Lambda did not queue it', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
    const planner = new LambdaRekeyPlanner(async () => new LambdaClient({ region: 'us-east-1' }), 'f');
    await expect(planner.request('kw-1')).rejects.toThrow('Lambda did not queue the re-key plan (status 200)');
  });
});
