import { decisionText } from './decision-text';
import type { DecisionLink } from './decision-links';
import { severityOf, titleOf, type Incident } from '../incidents/incident';
import { renderRekeyProgress } from './rekey-progress';
import {
  keyAliasesText,
  whereText,
  keyPurposeText,
  rekeyPlanLines,
  laterSignalLines,
  nextStepFor,
  outcomeOf,
  stepBullets,
} from './compose-notification';
import { slackMrkdwn, slackMrkdwnLines, slackPlainText, truncate } from './escape';

/**
 * Block Kit's limits on what a message holds (characters of the text as sent, entities included).
 * https://api.slack.com/reference/block-kit/blocks
 */
export const slackLimits = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  contextText: 3000,
  buttonText: 75,
  confirmTitle: 100,
  confirmText: 300,
} as const;

/** How much of one outsider's value a message shows: a 5,000-character user agent must not push out the rest. */
const valueChars = 500;

/** One value an outsider wrote, escaped for mrkdwn and kept to its share of a block. */
const value = (text: string) => slackMrkdwn(text, valueChars);

/**
 * A mrkdwn text object, cut to its block's limit on a whole entity. `verbatim: true`: Slack does not link bare URLs
 * and channel names or parse mentions in it; kms-warden's own markup and escapes are read as they are.
 * https://api.slack.com/reference/block-kit/composition-objects#text
 */
const mrkdwn = (escaped: string, max: number = slackLimits.sectionText) => ({
  type: 'mrkdwn',
  text: truncate(escaped, max),
  verbatim: true,
});

const plainText = (text: string, max: number) => ({ type: 'plain_text', text: slackPlainText(text, max) });

/** The token at the end of a decision link: Slack's button carries it back to /slack/actions. */
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

/**
 * A Slack Block Kit message for an incident: what happened, the evidence, what was done, and buttons for the
 * decisions. Each button's value is a signed, single-use decision token, the same as the link beside it. Every
 * value an outsider can write is escaped (src/notify/escape.ts); the markup around it is kms-warden's.
 * https://api.slack.com/reference/block-kit/blocks
 */
export const composeSlackMessage = (incident: Incident, links: readonly DecisionLink[] = [], lead?: string) => {
  const { signal } = incident;
  const outcome = outcomeOf(incident);
  const steps = stepBullets(incident, value).join('\n');
  const purpose = keyPurposeText(incident);
  const later = laterSignalLines(incident);
  return {
    text: slackMrkdwn(`${severityOf(incident).toUpperCase()} ${titleOf(incident)}: ${outcome} (${incident.id})`),
    blocks: [
      { type: 'header', text: plainText(`${titleOf(incident)}: ${outcome}`, slackLimits.headerText) },
      ...(lead ? [{ type: 'context', elements: [mrkdwn(slackMrkdwnLines(lead), slackLimits.contextText)] }] : []),
      {
        type: 'section',
        fields: [
          mrkdwn(`*Incident*\n\`${value(incident.id)}\``, slackLimits.fieldText),
          mrkdwn(`*Severity*\n${value(severityOf(incident))}`, slackLimits.fieldText),
          mrkdwn(`*Account, Region*\n${value(whereText(incident))}`, slackLimits.fieldText),
          mrkdwn(
            `*Key*\n\`${value(incident.keyArn ?? 'not one key')}\`${value(keyAliasesText(incident))}`,
            slackLimits.fieldText,
          ),
          mrkdwn(`*Principal*\n\`${value(signal.principal.arn)}\``, slackLimits.fieldText),
          ...(purpose ? [mrkdwn(`*What the key protects*\n${value(purpose)}`, slackLimits.fieldText)] : []),
        ],
      },
      {
        type: 'section',
        text: mrkdwn(
          `*What happened*\n${value(signal.summary)}\n${value(signal.source.eventName)} at ${value(signal.source.eventTime)} from ${value(signal.source.sourceIp ?? 'unknown')} (${value(signal.source.userAgent ?? 'unknown user agent')}), event \`${value(signal.source.eventId)}\``,
        ),
      },
      ...(later.length > 0
        ? [
            {
              type: 'section',
              text: mrkdwn(
                `*Then, from the same principal on the same key*\n${later.map((line) => `• ${value(line)}`).join('\n')}`,
              ),
            },
          ]
        : []),
      ...(steps ? [{ type: 'section', text: mrkdwn(`*What kms-warden did*\n${steps}`) }] : []),
      ...(incident.rekeyPlan && !incident.rekey
        ? [
            {
              type: 'section',
              text: mrkdwn(`*If re-keyed*\n${rekeyPlanLines(incident).map(value).join('\n')}`),
            },
          ]
        : []),
      ...(incident.rekey
        ? [
            {
              type: 'section',
              text: mrkdwn(
                `*Re-keying*\n${renderRekeyProgress(incident, { tty: false }).slice(1).map(value).join('\n')}`,
              ),
            },
          ]
        : []),
      { type: 'section', text: mrkdwn(`*Next step*\n${slackMrkdwn(nextStepFor(incident, outcome))}`) },
      ...(links.length > 0
        ? [
            {
              type: 'actions',
              elements: links.map((link) => ({
                type: 'button',
                action_id: link.action,
                text: plainText(decisionText[link.action].label, slackLimits.buttonText),
                value: tokenOf(link.url),
                ...(link.action === 'disable-key' || link.action === 'release' || link.action === 'approve-deletion'
                  ? { style: 'danger' }
                  : link.action === 'approve-rekey'
                    ? { style: 'primary' }
                    : {}),
                confirm: {
                  title: plainText(`${decisionText[link.action].label}?`, slackLimits.confirmTitle),
                  text: plainText(decisionText[link.action].risk, slackLimits.confirmText),
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
