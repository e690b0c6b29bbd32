import type { DecisionLink } from './decision-links';
import { decisionText } from './decision-text';
import type { Incident } from '../incidents/incident';
import { keyAliasesText, laterSignalLines, nextStepFor, outcomeOf, stepBullets } from './compose-notification';

/**
 * The custom notification Amazon Q Developer in chat applications (formerly AWS Chatbot) renders in Slack and
 * Teams. threadId is the incident id, so every update about an incident lands in one thread.
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
export const composeChatNotification = (incident: Incident, links: readonly DecisionLink[] = []) => {
  const { signal } = incident;
  const outcome = outcomeOf(incident);
  const steps = stepBullets(incident);
  return {
    version: '1.0',
    source: 'custom',
    id: `${incident.id}:${incident.status}:${incident.signals?.length ?? 1}`,
    content: {
      textType: 'client-markdown',
      title: `:rotating_light: ${signal.severity.toUpperCase()} ${signal.title}: ${outcome}`,
      description: [
        `*Incident* \`${incident.id}\` (${incident.status})`,
        `*Key* \`${incident.keyArn ?? 'not one key'}\`${keyAliasesText(incident)}`,
        `*Principal* \`${signal.principal.arn}\``,
        `*What happened* ${signal.summary} (${signal.source.eventName} at ${signal.source.eventTime}, event \`${signal.source.eventId}\`)`,
        ...(laterSignalLines(incident).length > 0
          ? [
              '*Then, from the same principal on the same key*',
              ...laterSignalLines(incident).map((line) => `• ${line}`),
            ]
          : []),
        ...(steps.length > 0 ? ['*What kms-warden did*', ...steps] : []),
      ].join('\n'),
      nextSteps: [
        nextStepFor(incident, outcome),
        ...links.map((link) => `${decisionText[link.action].label}: ${link.url}`),
      ],
      keywords: [signal.detector, signal.severity, outcome],
    },
    metadata: {
      threadId: incident.id,
      summary: `${signal.title}: ${outcome} (${incident.id})`,
      eventType: signal.detector,
      relatedResources: [incident.keyArn, signal.principal.arn].filter((r): r is string => typeof r === 'string'),
      additionalContext: { incidentId: incident.id, status: incident.status, severity: signal.severity },
    },
  };
};
