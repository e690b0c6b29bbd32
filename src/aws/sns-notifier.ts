import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../notify/notifier';

/**
 * SNS subjects: "no line breaks or control characters, and must be less than 100 characters long"
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); kept to printable ASCII for every mail client.
 */
const subjectFor = (text: string): string => {
  const ascii = text.replace(/[^\x20-\x7e]/g, '-').trim();
  return ascii.length < 100 ? ascii : `${ascii.slice(0, 96)}...`;
};

export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async send(notification: Notification): Promise<string> {
    const { MessageId } = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subjectFor(notification.subject),
        // One message per protocol: text for email and SMS (and anything else), the chat JSON for the HTTPS
        // endpoint Amazon Q Developer in chat applications subscribes.
        ...(notification.chat
          ? {
              MessageStructure: 'json',
              Message: JSON.stringify({ default: notification.text, https: JSON.stringify(notification.chat) }),
            }
          : { Message: notification.text }),
        MessageAttributes: {
          incidentId: { DataType: 'String', StringValue: notification.incidentId },
          severity: { DataType: 'String', StringValue: notification.severity },
        },
      }),
    );
    return MessageId ?? 'unknown';
  }
}
