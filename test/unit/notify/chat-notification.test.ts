import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../../src/aws/sns-notifier';
import { composeChatNotification } from '../../../src/notify/compose-chat-notification';
import { composeNotification } from '../../../src/notify/compose-notification';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';

const incident = incidentFrom(record('ScheduleKeyDeletion.assumed-role'), {
  status: 'contained',
  results: [{ outcome: 'applied', before: { state: 'PendingDeletion' }, after: { state: 'Enabled' } }],
});
const links = [{ action: 'approve-rekey' as const, url: 'https://approvals.example/approvals/t0k3n' }];

describe('the chat notification (Amazon Q Developer in chat applications)', () => {
  it('is a custom notification threaded on the incident, with the next step and the decisions as next steps', () => {
    const chat = composeChatNotification(incident, links);
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: expect.stringContaining('CRITICAL A KMS key was scheduled for deletion: contained'),
        nextSteps: [
          expect.stringMatching(/^Ask the owner of arn:aws:iam::123456789012:role\/tester whether this was intended\./),
          'Approve re-key: https://approvals.example/approvals/t0k3n',
        ],
      },
      metadata: {
        threadId: incident.id,
        eventType: 'key-deletion-scheduled',
        relatedResources: [incident.keyArn, 'arn:aws:iam::123456789012:role/tester'],
      },
    });
    expect(chat.content.description).toContain(`\`${incident.keyArn}\``);
  });

  it('goes out in one SNS message with text for email and the JSON for the chat endpoint', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notification = { ...composeNotification(incident, links), chat: composeChatNotification(incident, links) };
    expect(
      await new SnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:123456789012:t').send(
        notification,
      ),
    ).toBe('m-1');
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.MessageStructure).toBe('json');
    const message = JSON.parse(input.Message!);
    expect(message.default).toBe(notification.text);
    expect(JSON.parse(message.https)).toEqual(notification.chat);
    sns.restore();
  });
});
