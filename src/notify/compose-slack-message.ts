import { decisionText } from './decision-text';
import type { DecisionLink } from './decision-links';
import type { Incident } from '../incidents/incident';
import { renderRekeyProgress } from './rekey-progress';
import {
  keyAliasesText,
  keyPurposeText,
  laterSignalLines,
  nextStepFor,
  outcomeOf,
  stepBullets,
} from './compose-notification';

const text = (value: string) => ({ type: 'mrkdwn', text: value });

/** The token at the end of a decision link: Slack's button carries it back to /slack/actions. */
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

/**
 * A Slack Block Kit message for an incident: what happened, the evidence, what was done, and buttons for the
 * decisions. Each button's value is a signed, single-use decision token, the same as the link beside it.
 * https://api.slack.com/reference/block-kit/blocks
 */
export const composeSlackMessage = (incident: Incident, links: readonly DecisionLink[] = [], lead?: string) => {
  const { signal } = incident;
  const outcome = outcomeOf(incident);
  const steps = stepBullets(incident).join('\n');
  return {
    text: `${signal.severity.toUpperCase()} ${signal.title}: ${outcome} (${incident.id})`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${signal.title}: ${outcome}`.slice(0, 150) } },
      ...(lead ? [{ type: 'context', elements: [text(lead.slice(0, 3000))] }] : []),
      {
        type: 'section',
        fields: [
          text(`*Incident*\n\`${incident.id}\``),
          text(`*Severity*\n${signal.severity}`),
          text(`*Key*\n\`${incident.keyArn ?? 'not one key'}\`${keyAliasesText(incident)}`),
          text(`*Principal*\n\`${signal.principal.arn}\``),
          ...(keyPurposeText(incident)
            ? [text(`*What the key protects*\n${keyPurposeText(incident)}`.slice(0, 2000))]
            : []),
        ],
      },
      {
        type: 'section',
        text: text(
          `*What happened*\n${signal.summary}\n${signal.source.eventName} at ${signal.source.eventTime} from ${signal.source.sourceIp ?? 'unknown'} (${signal.source.userAgent ?? 'unknown user agent'}), event \`${signal.source.eventId}\``.slice(
            0,
            3000,
          ),
        ),
      },
      ...(laterSignalLines(incident).length > 0
        ? [
            {
              type: 'section',
              text: text(
                `*Then, from the same principal on the same key*\n${laterSignalLines(incident)
                  .map((line) => `• ${line}`)
                  .join('\n')}`.slice(0, 3000),
              ),
            },
          ]
        : []),
      ...(steps ? [{ type: 'section', text: text(`*What kms-warden did*\n${steps}`.slice(0, 3000)) }] : []),
      ...(incident.rekey
        ? [
            {
              type: 'section',
              text: text(
                `*Re-keying*\n${renderRekeyProgress(incident, { tty: false }).slice(1).join('\n')}`.slice(0, 3000),
              ),
            },
          ]
        : []),
      { type: 'section', text: text(`*Next step*\n${nextStepFor(incident, outcome)}`.slice(0, 3000)) },
      ...(links.length > 0
        ? [
            {
              type: 'actions',
              elements: links.map((link) => ({
                type: 'button',
                action_id: link.action,
                text: { type: 'plain_text', text: decisionText[link.action].label },
                value: tokenOf(link.url),
                ...(link.action === 'disable-key' || link.action === 'release' || link.action === 'approve-deletion'
                  ? { style: 'danger' }
                  : link.action === 'approve-rekey'
                    ? { style: 'primary' }
                    : {}),
                confirm: {
                  title: { type: 'plain_text', text: `${decisionText[link.action].label}?` },
                  text: { type: 'plain_text', text: decisionText[link.action].risk.slice(0, 300) },
                  confirm: { type: 'plain_text', text: 'Yes' },
                  deny: { type: 'plain_text', text: 'Cancel' },
                },
              })),
            },
          ]
        : []),
    ],
  };
};
