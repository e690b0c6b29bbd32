import type { DecisionLink } from './decision-links';
import { decisionText } from './decision-text';
import { severityOf, titleOf, type Incident } from '../incidents/incident';
import { keyAliasesText, laterSignalLines, nextStepFor, outcomeOf, stepBullets } from './compose-notification';
import { chatMarkdown } from './escape';

/** How much of one outsider's value a notification shows, as in Slack (it is rendered there as mrkdwn). */
const valueChars = 500;

/** One value an outsider wrote, escaped for the chat client's markdown. */
const value = (text: string) => chatMarkdown(text, valueChars);

/**
 * The custom notification Amazon Q Developer in chat applications (formerly AWS Chatbot) renders in Slack and
 * Teams. threadId is the incident id, so every update about an incident lands in one thread. With
 * `textType: client-markdown` its title, description and next steps are the chat client's markdown, so every value
 * an outsider can write is escaped for it (chatMarkdown); the SNS adapter sends the object with JSON.stringify.
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
export const composeChatNotification = (incident: Incident, links: readonly DecisionLink[] = []) => {
  const { signal } = incident;
  const outcome = outcomeOf(incident);
  const steps = stepBullets(incident, value);
  return {
    version: '1.0',
    source: 'custom',
    id: `${incident.id}:${incident.status}:${incident.signals?.length ?? 1}`,
    content: {
      textType: 'client-markdown',
      title: `:rotating_light: ${chatMarkdown(`${severityOf(incident).toUpperCase()} ${titleOf(incident)}: ${outcome}`)}`,
      description: [
        `*Incident* \`${value(incident.id)}\` (${incident.status})`,
        `*Key* \`${value(incident.keyArn ?? 'not one key')}\`${value(keyAliasesText(incident))}`,
        `*Principal* \`${value(signal.principal.arn)}\``,
        `*What happened* ${value(signal.summary)} (${value(signal.source.eventName)} at ${value(signal.source.eventTime)}, event \`${value(signal.source.eventId)}\`)`,
        ...(laterSignalLines(incident).length > 0
          ? [
              '*Then, from the same principal on the same key*',
              ...laterSignalLines(incident).map((line) => `• ${value(line)}`),
            ]
          : []),
        ...(steps.length > 0 ? ['*What kms-warden did*', ...steps] : []),
      ].join('\n'),
      nextSteps: [
        chatMarkdown(nextStepFor(incident, outcome)),
        ...links.map((link) => `${decisionText[link.action].label}: ${link.url}`),
      ],
      keywords: [signal.detector, severityOf(incident), outcome],
    },
    metadata: {
      threadId: incident.id,
      summary: `${titleOf(incident)}: ${outcome} (${incident.id})`,
      eventType: signal.detector,
      relatedResources: [incident.keyArn, signal.principal.arn]
        .filter((r): r is string => typeof r === 'string')
        .map((r) => chatMarkdown(r)),
      additionalContext: { incidentId: incident.id, status: incident.status, severity: severityOf(incident) },
    },
  };
};
