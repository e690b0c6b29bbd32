import { composeSlackMessage } from '../notify/compose-slack-message';
import { linksFor } from '../notify/tell-people';
import type { ApprovalDeps, Requester } from './decide';
import { decideApproval } from './decide';
import { verifySlackRequest } from './slack-signature';

export interface SlackDeps extends ApprovalDeps {
  slackInteractivity: {
    signingSecret: { bytes(): Promise<Buffer> };
    /** Slack user ids allowed to decide. Anyone else in the channel is refused. */
    approvers: readonly string[];
    /** Posts to the press's response_url; fetch, unless a test puts something else here. */
    post?: typeof fetch;
  };
}

export interface SlackReply {
  status: number;
  body: string;
}

type BlockActions = {
  type?: string;
  user?: { id?: string; username?: string };
  actions?: Array<{ action_id?: string; value?: string }>;
  response_url?: string;
};

/**
 * Where Slack takes replies to a press. Only Slack's own hosts: the URL comes in a verified request, but a reply
 * carrying incident details must never be sent anywhere else.
 * https://api.slack.com/interactivity/handling#message_responses
 */
const slackResponseUrl = /^https:\/\/hooks\.slack\.com\//;

const ephemeral = (text: string) => ({ response_type: 'ephemeral', replace_original: false, text });

/**
 * Slack interactivity: a button press on a kms-warden message. The request is verified with Slack's signing
 * secret; the presser must be a listed approver; the button's value is the same signed, single-use token an
 * approval link carries, so a decision in Slack and one by link cannot both happen. Slack ignores the body of the
 * answer to a block_actions request, so the outcome goes to the press's response_url: the original message is
 * replaced by the incident as it now stands (with only the decisions it can still take), and a refusal is shown to
 * the presser alone.
 */
export const handleSlackAction =
  (deps: SlackDeps) =>
  async (rawBody: string, headers: Record<string, string | undefined>, requester: Requester): Promise<SlackReply> => {
    const at = deps.now().toISOString();
    const interactivity = deps.slackInteractivity;
    const secret = (await interactivity.signingSecret.bytes()).toString('utf8');
    const verified = verifySlackRequest(secret, { timestamp: headers['x-slack-request-timestamp'], signature: headers['x-slack-signature'] }, rawBody, deps.now());
    if (!verified.ok) {
      await deps.audit.record({ at, outcome: 'refused', reason: `slack request ${verified.refusal}`, ...requester });
      return { status: 401, body: 'request not verified' };
    }
    let payload: BlockActions;
    try {
      payload = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '') as BlockActions;
    } catch {
      await deps.audit.record({ at, outcome: 'refused', reason: 'slack payload is not JSON', ...requester });
      return { status: 400, body: JSON.stringify(ephemeral('kms-warden could not read this Slack request.')) };
    }
    const respond = async (message: object): Promise<SlackReply> => {
      const url = payload.response_url;
      if (url && slackResponseUrl.test(url)) {
        const response = await (interactivity.post ?? fetch)(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(5000),
        }).catch((error: Error) => ({ ok: false, status: 0, text: async () => error.message }));
        if (!response.ok) deps.logger.error('Slack response_url refused the reply', { status: response.status, body: (await response.text()).slice(0, 200) });
      } else if (url) {
        deps.logger.warn('a response_url not on hooks.slack.com was ignored', { url: url.slice(0, 100) });
      }
      return { status: 200, body: JSON.stringify(message) };
    };

    const user = payload.user?.id;
    const token = payload.actions?.[0]?.value;
    if (payload.type !== 'block_actions' || !user || !token) {
      await deps.audit.record({ at, outcome: 'refused', reason: 'slack payload is not a button press', ...requester });
      return { status: 400, body: JSON.stringify(ephemeral('kms-warden only answers its own buttons.')) };
    }
    if (!interactivity.approvers.includes(user)) {
      await deps.audit.record({ at, outcome: 'refused', reason: `slack user ${user} is not an approver`, ...requester });
      return respond(ephemeral('You are not on the list of kms-warden approvers: nothing was changed.'));
    }
    const reply = await decideApproval(deps)(token, requester, `slack:${user}${payload.user?.username ? ` (${payload.user.username})` : ''}`, 'slack');
    if (!reply.incident) return respond(ephemeral(reply.summary));
    const updated = composeSlackMessage(reply.incident, await linksFor(reply.incident, deps));
    return respond({
      replace_original: true,
      text: updated.text,
      blocks: [...updated.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: `<@${user}>: ${reply.summary}`.slice(0, 3000) }] }],
    });
  };
