import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { LambdaSelfInvoke } from '../../../src/aws/lambda-self-invoke';

const lambda = mockClient(LambdaClient);
const press = { press: '{"token":"t0k","user":"U0ONCALL","requester":{}}', sealedAt: 1795869600, mac: 'a'.repeat(64) };

describe('handing a Slack press to the function itself', () => {
  beforeEach(() => lambda.reset());

  it('invokes the function asynchronously with the press as its event', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await new LambdaSelfInvoke(new LambdaClient({ region: 'us-east-1' }), 'kms-warden-prod-approvals').defer(press);
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call!.args[0].input).toMatchObject({ FunctionName: 'kms-warden-prod-approvals', InvocationType: 'Event' });
    expect(JSON.parse(Buffer.from(call!.args[0].input.Payload as Uint8Array).toString('utf8'))).toEqual({
      kmsWardenSlackPress: press,
    });
  });

  it('fails when Lambda did not queue it, so the press is decided at once instead', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
    await expect(new LambdaSelfInvoke(new LambdaClient({ region: 'us-east-1' }), 'f').defer(press)).rejects.toThrow(
      'Lambda did not queue the press (status 200)',
    );
  });
});
