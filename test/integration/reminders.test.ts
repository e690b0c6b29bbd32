import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, snsClient } from '../../src/aws/clients';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { SnsNotifier } from '../../src/aws/sns-notifier';
import { provisionResponderStack, subscribeInbox } from '../../src/local/responder-stack';
import { remindPendingDecisions } from '../../src/respond/remind-pending-decisions';
import { incidentFrom } from '../support/incidents';
import { useMoto } from '../support/moto';
import { record } from '../support/records';

describe('reminders of decisions waiting too long, against moto', () => {
  const moto = useMoto();

  it('reminds once per waiting period, only about incidents still waiting for a decision', async () => {
    const stack = await provisionResponderStack('remind');
    moto.aws.useStack(stack);
    const inbox = await subscribeInbox(stack.notificationTopicArn, 'remind-inbox');
    const incidents = new DynamoDbIncidentStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
      stack.incidentTable,
    );
    const waiting = (eventID: string, updatedAt: string, overrides = {}) =>
      incidentFrom(
        { ...record('ScheduleKeyDeletion.assumed-role'), eventID },
        {
          status: 'awaiting-approval',
          updatedAt,
          // One group each: they are separate incidents here, not later signals of one.
          group: eventID,
          plan: [
            { type: 'disable-key', params: { keyArn: 'arn:aws:kms:us-west-2:123456789012:key/1' }, run: 'approval' },
          ],
          results: [{ outcome: 'not-run', reason: 'a person decides' }],
          ...overrides,
        },
      );
    await incidents.open(waiting('old', '2026-11-28T06:00:00.000Z'));
    await incidents.open(waiting('recent', '2026-11-28T11:00:00.000Z'));
    await incidents.open(
      waiting('decided', '2026-11-28T06:00:00.000Z', {
        status: 'approved',
        decisions: [{ action: 'approve-rekey', by: 'x', channel: 'cli', at: '2026-11-28T07:00:00.000Z' }],
      }),
    );
    await incidents.open(waiting('released', '2026-11-28T06:00:00.000Z', { status: 'released' }));

    let now = new Date('2026-11-28T12:00:00.000Z');
    // The reminders function's own role reads the waiting incidents, marks them and tells people.
    const remind = await moto.asFunction('remindPendingDecisions', () =>
      remindPendingDecisions({
        quietMinutes: 5,
        incidents: new DynamoDbIncidentStore(documentClient(), stack.incidentTable),
        notifier: new SnsNotifier(snsClient(), stack.notificationTopicArn),
        logger: new Logger({ logLevel: 'SILENT' }),
        now: () => now,
        waitHours: 4,
      }),
    );

    const first = await remind();
    const second = await remind();
    now = new Date('2026-11-28T16:30:00.000Z');
    const later = await remind();

    const old = waiting('old', '2026-11-28T06:00:00.000Z').id;
    const recent = waiting('recent', '2026-11-28T11:00:00.000Z').id;
    expect(first.reminded).toEqual([old]);
    expect(second.reminded).toEqual([]);
    expect(later.reminded.sort()).toEqual([old, recent].sort());
    const { Messages = [] } = await new SQSClient({}).send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(3);
    expect(Messages[0]!.Body).toMatch(/^Reminder: this incident has waited 6 hours for a decision\./);
  });
});
