import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { LambdaDecisionExecutor } from '../../../src/aws/lambda-decision-executor';

const lambda = mockClient(LambdaClient);
const job = {
  incidentId: 'inc-1',
  decisionId: '7b0b2c1e-4f53-4b0a-9d47-0c2f1a1d9e11',
  slack: { responseUrl: 'https://hooks.slack.com/actions/T/1/x', user: 'U0ONCALL' },
};

describe('handing a recorded decision to the private executor', () => {
  beforeEach(() => lambda.reset());

  it('invokes the executor asynchronously with the job as its event', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const executor = new LambdaDecisionExecutor(
      new LambdaClient({ region: 'us-east-1' }),
      'kms-warden-prod-executeDecision',
    );
    expect(await executor.dispatch(job)).toBe('handed-over');
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call!.args[0].input).toMatchObject({
      FunctionName: 'kms-warden-prod-executeDecision',
      InvocationType: 'Event',
    });
    expect(JSON.parse(Buffer.from(call!.args[0].input.Payload as Uint8Array).toString('utf8'))).toEqual(job);
  });

  it('fails when Lambda did not queue it, so the decision is reported recorded and not carried out', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
    await expect(
      new LambdaDecisionExecutor(new LambdaClient({ region: 'us-east-1' }), 'f').dispatch(job),
    ).rejects.toThrow('Lambda did not queue the decision (status 200)');
  });
});
