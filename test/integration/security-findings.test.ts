import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateKeyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localLambdaContext } from '../../src/local/lambda-context';
import { projectRoot } from '../../src/local/stack-definition';
import {
  provisionResponderStack,
  responderEnvironment,
  subscribeInbox,
  type ResponderStack,
} from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';
import { realRecords } from '../support/records';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; incidents?: Array<{ id: string; duplicate: boolean }> }>;

/** The aws-samples IAM finding (Recon:IAMUser/MaliciousIPCaller.Custom), in its EventBridge envelope. */
const findingEvent = (sample: boolean) => {
  const finding = realRecords('aws-samples-guardduty-automated-response.ndjson')[1] as {
    accountId: string;
    region: string;
    service: object;
  };
  return {
    version: '0',
    id: `gd-${sample}`,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: finding.accountId,
    time: '2026-11-28T10:00:00Z',
    region: finding.region,
    resources: [],
    detail: { ...finding, service: { ...finding.service, additionalInfo: sample ? { sample: true } : {} } },
  };
};

describe('GuardDuty findings and Config changes through the findings handler, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let handler: Handler;
  let inbox: string;

  beforeAll(async () => {
    stack = await provisionResponderStack('findings');
    moto.aws.useStack(stack);
    inbox = await subscribeInbox(stack.notificationTopicArn, 'findings-inbox');
    Object.assign(process.env, responderEnvironment(stack));
    ({ handler } = (await moto.asFunction(
      'onSecurityFinding',
      () => import('../../handlers/on-security-finding'),
    )) as unknown as { handler: Handler });
  });

  const incidents = async () => {
    const { Items = [] } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }));
    return Items.map((item) => unmarshall(item)).filter((item) => String(item.pk).startsWith('INCIDENT#'));
  };
  const messages = async () =>
    (await new SQSClient({}).send(new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }))).Messages ??
    [];

  it('opens one incident for a credential finding, however often GuardDuty re-publishes it, and tells on-call once', async () => {
    const first = await handler(findingEvent(false), localLambdaContext('onSecurityFinding'));
    const again = await handler(findingEvent(false), localLambdaContext('onSecurityFinding'));
    expect(first).toMatchObject({ status: 'responded', incidents: [{ duplicate: false }] });
    expect(again).toMatchObject({ status: 'responded', incidents: [{ duplicate: true }] });
    const [incident, ...rest] = await incidents();
    expect(rest).toHaveLength(0);
    expect(incident).toMatchObject({
      status: 'contained',
      signal: {
        detector: 'guardduty-credential-compromise',
        principal: { kind: 'iam-user', arn: 'arn:aws:iam::123456789012:user/GeneratedFindingUserName' },
      },
    });
    expect(await messages()).toHaveLength(1);
  });

  it('ignores a sample finding', async () => {
    expect(await handler(findingEvent(true), localLambdaContext('onSecurityFinding'))).toEqual({
      status: 'ignored',
      reason: 'no detector fired',
    });
  });

  it('turns rotation back on for a key AWS Config found without it', async () => {
    const kms = new KMSClient({});
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'no rotation' }));
    const fixture = JSON.parse(
      readFileSync(join(projectRoot, 'test/fixtures/config/ComplianceChange.rotation-noncompliant.json'), 'utf8'),
    );
    // The fixture's key, account and Region, moved to the emulator's.
    const change = {
      ...fixture,
      account: '123456789012',
      detail: { ...fixture.detail, resourceId: KeyMetadata!.KeyId, awsAccountId: '123456789012' },
    };

    const outcome = await handler(change, localLambdaContext('onSecurityFinding'));

    expect(outcome).toMatchObject({ status: 'responded', incidents: [{ status: 'contained' }] });
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: KeyMetadata!.KeyId }))).KeyRotationEnabled).toBe(
      true,
    );
    const reported = (await incidents()).find((i) => i.signal.detector === 'rotation-noncompliant');
    expect(reported).toMatchObject({
      keyArn: KeyMetadata!.Arn,
      plan: [{ type: 'enable-key-rotation', run: 'automatic' }],
      results: [{ outcome: 'applied' }],
    });
  });

  it('keeps an event of another kind in the dead-letter queue', async () => {
    const outcome = await handler(
      { ...findingEvent(false), 'detail-type': 'EC2 Instance State-change Notification' },
      localLambdaContext('onSecurityFinding'),
    );
    expect(outcome).toMatchObject({ status: 'rejected' });
    const { Messages = [] } = await new SQSClient({}).send(
      new ReceiveMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(1);
  });
});
