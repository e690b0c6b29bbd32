import type { DecisionLink } from './decision-links';
import type { Incident } from '../incidents/incident';
import { composeSlackMessage, slackLimits } from './compose-slack-message';
import { slackMrkdwnLines, truncate } from './escape';

/** Where a message was posted with a bot token: what chat.update needs to change it. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export type SlackTarget =
  | { kind: 'off' }
  | { kind: 'webhook'; url: string }
  | { kind: 'bot'; token: string; channel: string; apiBase?: string };

/**
 * A Web API on this machine's loopback (the local demo's stand-in for Slack), as a webhook may be: never another host,
 * so a secret cannot send the bot token anywhere but Slack.
 */
const loopbackApi = /^http:\/\/127\.0\.0\.1:\d{1,5}\/api\/$/;

/**
 * What the Slack secret holds. An incoming webhook URL posts a new message each time (webhooks cannot edit); a bot
 * token with a channel, as JSON {"botToken":"xoxb-...","channel":"C..."}, posts once and then updates that message
 * as the incident moves. The stack creates the secret with a placeholder: until it holds one of these, Slack is off.
 */
export const slackTargetOf = (secret: string): SlackTarget => {
  const text = secret.trim();
  if (/^https:\/\//.test(text) || /^http:\/\/127\.0\.0\.1[:/]/.test(text)) return { kind: 'webhook', url: text };
  if (text.startsWith('{')) {
    try {
      const { botToken, channel, apiBase } = JSON.parse(text) as {
        botToken?: unknown;
        channel?: unknown;
        apiBase?: unknown;
      };
      if (typeof botToken === 'string' && botToken.startsWith('xox') && typeof channel === 'string' && channel) {
        if (apiBase === undefined) return { kind: 'bot', token: botToken, channel };
        if (typeof apiBase === 'string' && loopbackApi.test(apiBase))
          return { kind: 'bot', token: botToken, channel, apiBase };
      }
    } catch {
      // Not JSON after all: treated as not configured below.
    }
  }
  return { kind: 'off' };
};

/**
 * Incident messages in Slack, through an incoming webhook or the Web API (chat.postMessage, then chat.update).
 * The secret is read from Secrets Manager like the signing secrets: anyone holding a webhook URL or token can post.
 * https://api.slack.com/methods/chat.update
 */
export class SlackChannel {
  constructor(
    private readonly secret: { bytes(): Promise<Buffer> },
    private readonly post: typeof fetch = fetch,
    private readonly apiBase = 'https://slack.com/api/',
  ) {}

  /**
   * Posts the incident's message, or updates the one posted before; returns where it is when it can be updated later.
   */
  /**
   * `lead` is the news (a reminder, a decision, another signal): at the top of the message, and with a bot token
   * also a reply in the message's thread, since an edited message notifies nobody.
   */
  async publish(
    incident: Incident,
    links: readonly DecisionLink[],
    lead?: string,
    options: { updateOnly?: boolean } = {},
  ): Promise<SlackMessageRef | undefined> {
    const target = slackTargetOf((await this.secret.bytes()).toString('utf8'));
    // Progress goes only where a message can be edited in place: a webhook would post one message per step.
    if (options.updateOnly && (target.kind !== 'bot' || !incident.slackMessage)) return undefined;
    const message = composeSlackMessage(incident, links, lead);
    switch (target.kind) {
      case 'off':
        return undefined;
      case 'webhook': {
        const response = await this.send(target.url, message);
        if (!response.ok)
          throw new Error(`Slack webhook answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
        return undefined;
      }
      case 'bot': {
        const posted = incident.slackMessage;
        if (posted) {
          // chat.update's parse defaults to client, unlike chat.postMessage's none: no parsing of names in our text.
          // https://github.com/slackapi/slack-api-specs/issues/50
          const updated = await this.call(target, 'chat.update', {
            channel: posted.channel,
            ts: posted.ts,
            parse: 'none',
            ...message,
          });
          // Deleted by someone in the channel: post it again rather than lose the news.
          if (updated.ok || updated.error !== 'message_not_found' || options.updateOnly) {
            if (lead)
              await this.call(target, 'chat.postMessage', {
                channel: posted.channel,
                thread_ts: posted.ts,
                parse: 'none',
                text: truncate(slackMrkdwnLines(lead), slackLimits.sectionText),
              });
            return posted;
          }
        }
        const created = await this.call(target, 'chat.postMessage', {
          channel: target.channel,
          parse: 'none',
          ...message,
        });
        return { channel: created.channel!, ts: created.ts! };
      }
    }
  }

  private send(url: string, body: object, headers: Record<string, string> = {}) {
    return this.post(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
  }

  /** A Web API method: HTTP 200 with ok false is a refusal; message_not_found is returned, anything else thrown. */
  private async call(
    target: { token: string; apiBase?: string },
    method: string,
    body: object,
  ): Promise<{ ok: boolean; error?: string; channel?: string; ts?: string }> {
    const response = await this.send(`${target.apiBase ?? this.apiBase}${method}`, body, {
      authorization: `Bearer ${target.token}`,
    });
    if (!response.ok)
      throw new Error(`Slack ${method} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    const answer = (await response.json()) as { ok: boolean; error?: string; channel?: string; ts?: string };
    if (!answer.ok && answer.error !== 'message_not_found')
      throw new Error(`Slack ${method} refused: ${answer.error ?? 'no reason given'}`);
    return answer;
  }
}
