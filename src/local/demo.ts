import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { kmsApiCallRecord, viaEventBridge, type Caller } from './cloudtrail-records';
import { localLambdaContext } from './lambda-context';
import { startMotoServer, type MotoServer } from './moto-server';
import { provisionResponderStack, responderEnvironment, subscribeInbox } from './responder-stack';

export interface DemoOptions {
  json: boolean;
  autoApprove: boolean;
  write: (line: string) => void;
}

const attacker: Caller = {
  roleArn: 'arn:aws:iam::123456789012:role/ci-deployer',
  sessionName: 'mallory',
  sourceIp: '203.0.113.77',
  userAgent: 'aws-cli/2.22.4 md/Botocore#1.35.63 os/linux#6.8.0',
};
const keyAdministrators = ['arn:aws:iam::123456789012:role/platform/KeyAdmins'];

/**
 * The local demo: the real handler against an emulator. Starts moto unless AWS_ENDPOINT_URL names one, creates
 * the responder's resources from serverless.yml, plays a malicious ScheduleKeyDeletion and shows the response.
 */
export const runLocalDemo = async (options: DemoOptions): Promise<{ incidentId: string; keyState: string }> => {
  const say = (step: string, text: string, data: Record<string, unknown> = {}) =>
    options.write(options.json ? JSON.stringify({ step, text, ...data }) : `${text}`);

  let moto: MotoServer | undefined;
  if (!process.env.AWS_ENDPOINT_URL) {
    moto = await startMotoServer();
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    say('emulator', `Started moto_server at ${moto.endpoint}`, { endpoint: moto.endpoint, started: true });
  } else {
    say('emulator', `Using the emulator at ${process.env.AWS_ENDPOINT_URL}`, { endpoint: process.env.AWS_ENDPOINT_URL, started: false });
  }
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

  try {
    const stage = `demo${Date.now().toString(36)}`;
    const stack = await provisionResponderStack(stage);
    Object.assign(process.env, responderEnvironment(stack, { keyAdministrators }));
    say('stack', `Created the responder's table, topic and dead-letter queue (stage ${stage}) from serverless.yml`, { stack });

    const kms = new KMSClient({});
    const sqs = new SQSClient({});
    const inbox = await subscribeInbox(stack.notificationTopicArn, `${stage}-on-call-inbox`);

    // The stolen role exists in the account, so quarantining it has something to act on.
    await new IAMClient({}).send(
      new CreateRoleCommand({
        RoleName: 'ci-deployer',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    ).catch((error: Error) => {
      if (error.name !== 'EntityAlreadyExistsException') throw error;
    });

    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        Description: 'payments: card tokens and ledger exports',
        Tags: [
          { TagKey: 'team', TagValue: 'payments' },
          { TagKey: 'kms-warden:mode', TagValue: 'contain' },
        ],
      }),
    );
    const keyArn = KeyMetadata!.Arn!;
    const keyId = KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${stage}-payments`, TargetKeyId: keyId }));
    say('key', `Created the "payments" key ${keyArn} (Enabled)`, { keyArn });

    const pendingWindowInDays = 7;
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }));
    say(
      'attack',
      `Attack: ${attacker.roleArn} (session ${attacker.sessionName}, from ${attacker.sourceIp}) scheduled the key for ` +
        `deletion in ${pendingWindowInDays} days, on ${scheduled.DeletionDate?.toISOString()}`,
      { caller: attacker, deletionDate: scheduled.DeletionDate?.toISOString() },
    );

    // moto writes no CloudTrail: build the record CloudTrail would deliver for that call.
    const event = viaEventBridge(
      kmsApiCallRecord({
        eventName: 'ScheduleKeyDeletion',
        keyArn,
        caller: attacker,
        requestParameters: { keyId, pendingWindowInDays },
        responseElements: { keyId: keyArn, keyState: 'PendingDeletion', deletionDate: scheduled.DeletionDate?.toISOString(), pendingWindowInDays },
      }),
    );

    const { handler } = (await import('../../handlers/on-kms-api-call')) as unknown as {
      handler: (event: unknown, context: unknown) => Promise<{ status: string; incidents?: Array<{ id: string; status: string }> }>;
    };
    const outcome = await handler(event, localLambdaContext(`kms-warden-${stage}-onKmsApiCall`));
    const incidentId = outcome.incidents?.[0]?.id ?? 'none';

    const after = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    say(
      'response',
      `kms-warden responded: incident ${incidentId} is ${outcome.incidents?.[0]?.status}; the key is ${after.KeyState}` +
        `${after.DeletionDate ? `, still due for deletion on ${after.DeletionDate.toISOString()}` : ', with no deletion date'}`,
      { outcome, keyState: after.KeyState, deletionDate: after.DeletionDate?.toISOString() ?? null },
    );

    const { Item } = await new DynamoDBClient({}).send(
      new GetItemCommand({ TableName: stack.incidentTable, Key: { pk: { S: `INCIDENT#${incidentId}` }, sk: { S: 'INCIDENT' } } }),
    );
    const incident = Item ? unmarshall(Item) : undefined;
    say('incident', `Incident record: ${JSON.stringify({ id: incident?.id, status: incident?.status, results: incident?.results })}`, {
      incident,
    });

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }));
    for (const message of Messages) {
      say('notification', `On-call was told (SNS):\n${indent(message.Body ?? '')}`, { message: message.Body });
    }

    const again = await handler(event, localLambdaContext(`kms-warden-${stage}-onKmsApiCall`));
    say('redelivery', `EventBridge delivered the same event again: ${JSON.stringify(again)}; nothing was done twice`, { outcome: again });
    if (!options.autoApprove) {
      say('next', 'Nothing waits for approval yet in this demo; approvals and re-keying arrive with the approval issue.');
    }
    return { incidentId, keyState: after.KeyState ?? 'Unknown' };
  } finally {
    await moto?.stop();
  }
};

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
