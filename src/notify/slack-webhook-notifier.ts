import type { DecisionLink } from '../approvals/links';
import type { Incident } from '../incidents/incident';
import { composeSlackMessage } from './compose-slack-message';

/**
 * Posts incident messages to a Slack incoming webhook. The webhook URL is a secret (anyone holding it can post),
 * so it is read from Secrets Manager like the signing secrets.
 */
export class SlackWebhook {
  constructor(
    private readonly webhookUrl: { bytes(): Promise<Buffer> },
    private readonly post: typeof fetch = fetch,
  ) {}

  async send(incident: Incident, links: readonly DecisionLink[]): Promise<void> {
    const url = (await this.webhookUrl.bytes()).toString('utf8').trim();
    // The stack creates the secret with a placeholder: until someone puts a webhook URL in it, Slack is off.
    if (!/^https?:\/\//.test(url)) return;
    const response = await this.post(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(composeSlackMessage(incident, links)),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`Slack webhook answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  }
}
