import { Logger } from '@aws-lambda-powertools/logger';
import { GetItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { kmsApiCallRecord, viaEventBridge, type Caller } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import {
  provisionResponderStack,
  responderEnvironment,
  subscribeInbox,
  type ResponderStack,
} from '../../src/local/responder-stack';
import { documentClient, snsClient } from '../../src/aws/clients';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { SnsNotifier } from '../../src/aws/sns-notifier';
import { remindPendingDecisions } from '../../src/respond/remind-pending-decisions';
import { useMoto } from '../support/moto';

/**
 * One principal's signals within hours are one story (one incident across keys): each test's attacker is a role of
 * its own, so one test's deletion never joins another's story.
 */
let attacker: Caller;
let attackers = 0;
const keyAdministrator: Caller = { roleArn: 'arn:aws:iam::123456789012:role/platform/KeyAdmins', sessionName: 'alice' };
/** Another key administrator: its disable in one test is a story of its own, apart from the other's deletion. */
const otherKeyAdministrator: Caller = {
  roleArn: 'arn:aws:iam::123456789012:role/platform/KeyOwners',
  sessionName: 'bob',
};

describe('a ScheduleKeyDeletion through the KMS lifecycle handler, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let handler: (event: unknown, context: unknown) => Promise<unknown>;
  let kms: KMSClient;
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  let inboxUrl: string;

  beforeAll(async () => {
    stack = await provisionResponderStack('test');
    moto.aws.useStack(stack);
    Object.assign(
      process.env,
      responderEnvironment(stack, {
        keyAdministrators: [keyAdministrator.roleArn, otherKeyAdministrator.roleArn],
      }),
    );
    kms = new KMSClient({});
    dynamodb = new DynamoDBClient({});
    sqs = new SQSClient({});
    inboxUrl = await subscribeInbox(stack.notificationTopicArn, 'on-call-inbox');
    ({ handler } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: typeof handler });
  });

  const createKey = async () => (await kms.send(new CreateKeyCommand({ Description: 'payments' }))).KeyMetadata!.Arn!;

  const scheduleDeletion = async (keyArn: string, caller: Caller, pendingWindowInDays = 7) => {
    // moto resolves only bare key ids for these calls; real KMS takes either.
    const KeyId = keyArn.split('/').at(-1);
    const response = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: pendingWindowInDays }),
    );
    return viaEventBridge(
      kmsApiCallRecord({
        eventName: 'ScheduleKeyDeletion',
        keyArn,
        caller,
        requestParameters: { keyId: keyArn, pendingWindowInDays },
        responseElements: {
          keyId: keyArn,
          keyState: 'PendingDeletion',
          deletionDate: response.DeletionDate?.toISOString(),
          pendingWindowInDays,
        },
      }),
    );
  };

  const keyMetadata = async (keyArn: string) =>
    (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!;

  const incidentsFor = async (keyArn: string) => {
    const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: stack.incidentTable }));
    return Items.map((item) => unmarshall(item)).filter(
      (item) => item.pk.startsWith('INCIDENT#') && item.keyArn === keyArn,
    );
  };

  const drainInbox = async () => {
    const messages: string[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: inboxUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages.map((m) => m.Body!));
    }
  };

  beforeEach(async () => {
    attackers += 1;
    attacker = { roleArn: `arn:aws:iam::123456789012:role/ci-deployer-${attackers}`, sessionName: 'mallory' };
    await drainInbox();
  });

  it('cancels the deletion, enables the key again, records the incident and tells on-call', async () => {
    // Prepare
    const keyArn = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/payments', TargetKeyId: keyArn.split('/').at(-1) }));
    const event = await scheduleDeletion(keyArn, attacker);
    expect((await keyMetadata(keyArn)).KeyState).toBe('PendingDeletion');
    // Act
    const outcome = await handler(event, localLambdaContext('onKmsApiCall'));
    // Assess
    const key = await keyMetadata(keyArn);
    expect(key.KeyState).toBe('Enabled');
    expect(key.DeletionDate).toBeUndefined();

    const [incident, ...others] = await incidentsFor(keyArn);
    expect(others).toHaveLength(0);
    expect(outcome).toEqual({
      status: 'responded',
      incidents: [{ id: incident!.id, status: 'contained', duplicate: false }],
    });
    expect(incident).toMatchObject({
      status: 'contained',
      keyArn,
      signal: {
        detector: 'key-deletion-scheduled',
        severity: 'critical',
        principal: { kind: 'assumed-role', arn: attacker.roleArn, sessionName: 'mallory' },
        source: { eventId: event.detail.eventID, eventName: 'ScheduleKeyDeletion' },
      },
      notifiedStatus: 'contained',
      keyProfile: { aliases: ['alias/payments'], description: 'payments', tags: {} },
    });
    expect(incident!.plan.map((step: { type: string; run: string }) => `${step.type}:${step.run}`)).toEqual([
      'cancel-key-deletion:automatic',
      'deny-principal-in-key-policy:automatic',
      'revoke-grants:automatic',
      'quarantine-principal:automatic',
    ]);
    expect(incident!.plan[0]).toEqual({
      type: 'cancel-key-deletion',
      params: { keyArn, restoreState: 'Enabled' },
      run: 'automatic',
    });
    expect(incident!.results[0]).toMatchObject({
      outcome: 'applied',
      before: { state: 'PendingDeletion' },
      after: { state: 'Enabled' },
    });
    // The suspect's role does not exist in the emulator: nothing to quarantine, and that is not a failure.
    expect(incident!.results.map((r: { outcome: string }) => r.outcome)).toEqual([
      'applied',
      'applied',
      'skipped',
      'skipped',
    ]);
    expect(incident!.results[0].before.deletionDate).toEqual(expect.any(String));

    const messages = await drainInbox();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(incident!.id);
    expect(messages[0]).toContain(`${keyArn} (alias/payments)`);
    expect(messages[0]).toContain('Protects:   "payments"');
    expect(messages[0]).toContain(attacker.roleArn);
    expect(messages[0]).toContain('key state PendingDeletion -> Enabled');
  });

  it('acts once when EventBridge delivers the same event twice', async () => {
    const keyArn = await createKey();
    const event = await scheduleDeletion(keyArn, attacker);

    await handler(event, localLambdaContext('onKmsApiCall'));
    // The owner disables the key after the response: a second delivery must not touch it again.
    await kms.send(new DisableKeyCommand({ KeyId: keyArn.split('/').at(-1) }));
    const second = await handler(event, localLambdaContext('onKmsApiCall'));

    expect(second).toMatchObject({ status: 'responded', incidents: [{ status: 'contained', duplicate: true }] });
    expect((await keyMetadata(keyArn)).KeyState).toBe('Disabled');
    expect(await incidentsFor(keyArn)).toHaveLength(1);
    expect(await drainInbox()).toHaveLength(1);
  });

  it('stops the same caller scheduling the deletion again, within the same incident', async () => {
    const keyArn = await createKey();
    await handler(await scheduleDeletion(keyArn, attacker), localLambdaContext('onKmsApiCall'));
    const [first] = await incidentsFor(keyArn);
    await drainInbox();

    // The attacker tries again after the deletion was cancelled.
    const again = await scheduleDeletion(keyArn, attacker, 10);
    const outcome = await handler(again, localLambdaContext('onKmsApiCall'));
    expect(outcome).toEqual({
      status: 'responded',
      incidents: [{ id: first!.id, status: first!.status, duplicate: false }],
    });
    expect((await keyMetadata(keyArn)).KeyState).toBe('Enabled');

    const [incident, ...others] = await incidentsFor(keyArn);
    expect(others).toHaveLength(0);
    expect(incident!.signals.map((s: { eventId: string }) => s.eventId)).toEqual([
      first!.signal.source.eventId,
      again.detail.eventID,
    ]);
    // The second signal's own plan ran again: the cancellation did something; the deny statement was already there.
    const later = incident!.plan
      .slice(first!.plan.length)
      .map((step: { type: string }, i: number) => `${step.type}:${incident!.results[first!.plan.length + i].outcome}`);
    expect(later).toEqual([
      'cancel-key-deletion:applied',
      'deny-principal-in-key-policy:skipped',
      'revoke-grants:skipped',
      'quarantine-principal:skipped',
    ]);
    expect(incident!.results[first!.plan.length]).toMatchObject({
      outcome: 'applied',
      before: { state: 'PendingDeletion' },
      after: { state: 'Enabled' },
    });
    expect(incident!.signals[1]).toMatchObject({ planFrom: first!.plan.length, planSteps: 4 });
    // The page went out a moment ago: the update waits out the quiet period, then the sweep sends one short update
    // naming the incident (not a second page).
    expect(await drainInbox()).toHaveLength(0);
    const sweep = await moto.asFunction('remindPendingDecisions', () =>
      remindPendingDecisions({
        quietMinutes: 5,
        incidents: new DynamoDbIncidentStore(documentClient(), stack.incidentTable),
        notifier: new SnsNotifier(snsClient(), stack.notificationTopicArn),
        logger: new Logger({ logLevel: 'SILENT' }),
        now: () => new Date(Date.now() + 6 * 60_000),
        waitHours: 4,
      }),
    );
    expect((await sweep()).updated).toEqual([first!.id]);
    const messages = await drainInbox();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`1 new step in incident ${first!.id} (contained).`);
    expect(messages[0]).toMatch(/Severity: +critical/);
    expect(messages[0]).toContain(again.detail.eventID);
    expect((await sweep()).updated).toEqual([]);

    // The same event delivered again changes nothing and tells nobody.
    await handler(again, localLambdaContext('onKmsApiCall'));
    expect((await incidentsFor(keyArn))[0]!.plan).toHaveLength(incident!.plan.length);
    expect(await drainInbox()).toHaveLength(0);
  });

  it('leaves a key that was Disabled before the deletion Disabled', async () => {
    const keyArn = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId: keyArn.split('/').at(-1) }));
    await handler(
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'DisableKey',
          keyArn,
          caller: otherKeyAdministrator,
          requestParameters: { keyId: keyArn },
          eventTime: new Date(Date.now() - 60_000),
        }),
      ),
      localLambdaContext('onKmsApiCall'),
    );
    const event = await scheduleDeletion(keyArn, attacker);

    await handler(event, localLambdaContext('onKmsApiCall'));

    const key = await keyMetadata(keyArn);
    expect(key.KeyState).toBe('Disabled');
    expect(key.DeletionDate).toBeUndefined();
    const incidents = await incidentsFor(keyArn);
    expect(incidents.map((i) => i.signal.detector).sort()).toEqual(['key-deletion-scheduled', 'key-disabled']);
    const deletion = incidents.find((i) => i.signal.detector === 'key-deletion-scheduled');
    expect(deletion!.priorKeyState.state).toBe('Disabled');
  });

  it('does nothing but log when the ScheduleKeyDeletion call failed', async () => {
    const keyArn = await createKey();
    const event = viaEventBridge(
      kmsApiCallRecord({
        eventName: 'ScheduleKeyDeletion',
        keyArn,
        caller: attacker,
        requestParameters: { keyId: keyArn, pendingWindowInDays: 7 },
        errorCode: 'AccessDeniedException',
      }),
    );

    const outcome = await handler(event, localLambdaContext('onKmsApiCall'));

    expect(outcome).toEqual({ status: 'ignored', reason: 'call failed with AccessDeniedException' });
    expect((await keyMetadata(keyArn)).KeyState).toBe('Enabled');
    expect(await incidentsFor(keyArn)).toHaveLength(0);
    expect(await drainInbox()).toHaveLength(0);
  });

  it('reports but does not undo a deletion scheduled by a key administrator', async () => {
    const keyArn = await createKey();
    const event = await scheduleDeletion(keyArn, keyAdministrator, 30);

    await handler(event, localLambdaContext('onKmsApiCall'));

    expect((await keyMetadata(keyArn)).KeyState).toBe('PendingDeletion');
    const [incident] = await incidentsFor(keyArn);
    expect(incident).toMatchObject({ status: 'contained', plan: [], results: [], signal: { severity: 'high' } });
    const messages = await drainInbox();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('no action taken');
  });

  it('keeps a malformed event in the dead-letter queue with the reason, without throwing', async () => {
    const malformed = {
      version: '0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.kms',
      detail: { eventName: 42 },
    };

    const outcome = await handler(malformed, localLambdaContext('onKmsApiCall'));

    expect(outcome).toMatchObject({ status: 'rejected', reason: expect.stringContaining('detail.eventName') });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    const kept = JSON.parse(Messages[0]!.Body!);
    expect(kept.event).toEqual(malformed);
    expect(kept.reason).toContain('malformed event');
  });

  it('stores the incident under a key derived from the event, readable by id', async () => {
    const keyArn = await createKey();
    const event = await scheduleDeletion(keyArn, attacker);
    const outcome = (await handler(event, localLambdaContext('onKmsApiCall'))) as { incidents: Array<{ id: string }> };
    const id = outcome.incidents[0]!.id;
    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: stack.incidentTable,
        Key: { pk: { S: `INCIDENT#${id}` }, sk: { S: 'INCIDENT' } },
      }),
    );
    const stored = unmarshall(Item!);
    expect(stored).toMatchObject({ id, keyArn, status: 'contained' });
    // Active: no TTL until it is released or closed.
    expect(stored.expiresAt).toBeUndefined();
  });
});
