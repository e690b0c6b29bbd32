import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { deployedRules, ruleTargets, type DeployedRule } from './rule-targets';
import { projectRoot } from './stack-definition';

export interface RoutedEvent {
  rule: string;
  fn: (typeof ruleTargets)[number]['fn'];
  event: { id: string; source: string; 'detail-type': string; detail: Record<string, unknown> };
  /** The rule feeds the activity stream, under the partition key at this path (none: the event id). */
  stream?: DeployedRule['stream'];
}

/**
 * The rules/ patterns in the emulator's EventBridge, as the stack deploys them (the activity rule as one rule per
 * partition), each with a queue standing in for its target: events are put on the bus and come back only through the
 * rules that match them, so a pattern that does not match really drops the event, as in the account. Those of the
 * activity stream's rules say the partition key's path, for the demo to put them into its stream.
 */
export class LocalEventRouter {
  private constructor(
    private readonly events: EventBridgeClient,
    private readonly sqs: SQSClient,
    private readonly queues: Array<{
      rule: string;
      fn: RoutedEvent['fn'];
      url: string;
      stream?: RoutedEvent['stream'];
    }>,
  ) {}

  /**
   * `eventBusName`: the bus the rules are on (organization mode's organization bus); by default the account's default
   * bus.
   */
  static async create(stage: string, eventBusName?: string): Promise<LocalEventRouter> {
    const events = new EventBridgeClient({});
    const sqs = new SQSClient({});
    const queues = [];
    const rules = deployedRules((file) => JSON.parse(readFileSync(join(projectRoot, 'rules', file), 'utf8')));
    for (const target of rules) {
      const rule = `kms-warden-${stage}-${target.name}`;
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: rule }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const bus = eventBusName ? { EventBusName: eventBusName } : {};
      await events.send(
        new PutRuleCommand({ Name: rule, EventPattern: JSON.stringify(target.pattern), State: 'ENABLED', ...bus }),
      );
      await events.send(
        new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'function', Arn: Attributes!.QueueArn }], ...bus }),
      );
      queues.push({ rule, fn: target.fn, url: QueueUrl!, ...(target.stream ? { stream: target.stream } : {}) });
    }
    return new LocalEventRouter(events, sqs, queues);
  }

  /**
   * Puts the events on the bus, then returns what each rule delivered, in the order the events were put. `from`: the
   * EventBridge of another account whose default bus the events are put on (a member account, whose rules forward
   * them to the bus these rules are on).
   */
  async route(
    entries: Array<{ source: string; detailType: string; detail: object }>,
    from: EventBridgeClient = this.events,
  ): Promise<RoutedEvent[]> {
    for (let i = 0; i < entries.length; i += 10) {
      const batch = entries
        .slice(i, i + 10)
        .map((e) => ({ Source: e.source, DetailType: e.detailType, Detail: JSON.stringify(e.detail) }));
      const { FailedEntryCount } = await from.send(new PutEventsCommand({ Entries: batch }));
      if (FailedEntryCount) throw new Error(`EventBridge refused ${FailedEntryCount} events`);
    }
    const routed: Array<RoutedEvent & { order: number }> = [];
    const order = (detail: Record<string, unknown>) =>
      entries.findIndex(
        (e) =>
          (e.detail as { eventID?: unknown; id?: unknown }).eventID === detail.eventID &&
          (e.detail as { id?: unknown }).id === detail.id,
      );
    for (const queue of this.queues) {
      for (;;) {
        const { Messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10 }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          const delivered = JSON.parse(message.Body!) as RoutedEvent['event'] & { account?: string };
          // moto's EventBridge leaves out the envelope's account; EventBridge always sets it (the event's account).
          const event = {
            ...delivered,
            account:
              delivered.account ??
              String((delivered.detail as { recipientAccountId?: unknown }).recipientAccountId ?? '123456789012'),
          };
          routed.push({
            rule: queue.rule,
            fn: queue.fn,
            event,
            ...(queue.stream ? { stream: queue.stream } : {}),
            order: order(event.detail),
          });
        }
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    }
    return routed.sort((a, b) => a.order - b.order).map(({ order: _order, ...event }) => event);
  }
}
