import type { Logger } from '@aws-lambda-powertools/logger';
import { decisionLinks, type DecisionLink, type LinkSigner } from './decision-links';
import type { Incident } from '../incidents/incident';
import { composeChatNotification } from './compose-chat-notification';
import { composeNotification } from './compose-notification';
import { emailSubject, plainText } from './escape';
import type { Notifier } from './notifier';
import type { IncidentStore } from '../incidents/incident-store';
import type { SlackChannel } from './slack-channel';

export interface TellDeps {
  notifier: Notifier;
  /** Posts to Slack too, when configured. A Slack failure is logged, never fatal: SNS already went out. */
  slack?: SlackChannel;
  /** Where the Slack message is kept, so the next news updates it. */
  incidents: Pick<IncidentStore, 'recordSlackMessage'>;
  /** Signs the decision links put in messages; absent when no approval endpoint is configured. */
  links?: LinkSigner;
  logger: Logger;
  now: () => Date;
}

export interface Telling {
  /** A paragraph before the incident, e.g. "Reminder: ..." or who decided what. */
  lead?: string;
  /** Words before the subject, e.g. "Reminder". */
  subjectPrefix?: string;
  /** False when the Slack message was already updated in place (a decision taken from Slack's own buttons). */
  slack?: boolean;
  /** Progress, not news: only a Slack message that can be edited (a bot token) is updated; no SNS, no ping. */
  quiet?: boolean;
}

/** The links an incident's message carries: the decisions it can still take. */
export const linksFor = async (
  incident: Incident,
  deps: Pick<TellDeps, 'links' | 'now'>,
  options: { forSlack?: boolean } = {},
): Promise<DecisionLink[]> => (deps.links ? decisionLinks(incident, deps.links, deps.now(), options) : []);

/** A Slack message's buttons carry tokens of their own, that work only from Slack (where its approver list applies). */
const slackLinksFor = async (incident: Incident, deps: TellDeps, offered: readonly DecisionLink[]) =>
  deps.links ? linksFor(incident, deps, { forSlack: true }) : offered;

/**
 * Tells people where an incident stands: SNS (text for email, Amazon Q custom JSON for chat, threaded by incident
 * id) and Slack when configured, each with links for the decisions it can still take. Returns the SNS message id.
 */
export const tellPeople = async (
  incident: Incident,
  deps: TellDeps,
  telling: Telling = {},
  links?: readonly DecisionLink[],
): Promise<string> => {
  const offered = links ?? (await linksFor(incident, deps));
  if (telling.quiet) {
    if (deps.slack && incident.slackMessage) {
      await deps.slack
        .publish(incident, await slackLinksFor(incident, deps, offered), undefined, { updateOnly: true })
        .catch((error: Error) => deps.logger.warn('Slack progress update failed', { incidentId: incident.id, error }));
    }
    return incident.notificationId ?? 'quiet';
  }
  const message = composeNotification(incident, offered);
  // A lead carries values from outside (who decided, what a resource is called): plain text, its own lines kept.
  const notificationId = await deps.notifier.send({
    ...message,
    subject: telling.subjectPrefix ? emailSubject(`${telling.subjectPrefix}: ${message.subject}`) : message.subject,
    text: telling.lead ? `${plainText(telling.lead)}\n\n${message.text}` : message.text,
    chat: composeChatNotification(incident, offered),
  });
  if (deps.slack && telling.slack !== false) {
    try {
      const posted = await deps.slack.publish(incident, await slackLinksFor(incident, deps, offered), telling.lead);
      const previous = incident.slackMessage?.ts;
      if (
        posted &&
        posted.ts !== previous &&
        !(await deps.incidents.recordSlackMessage(incident.id, posted, previous))
      ) {
        deps.logger.warn('another run posted this incident to Slack first; this message will not be updated', {
          incidentId: incident.id,
          posted,
        });
      }
    } catch (error) {
      deps.logger.error('Slack failed; SNS was sent', { incidentId: incident.id, error: error as Error });
    }
  }
  return notificationId;
};
