import type { ApprovalDeps, Requester } from './decide';
import { decideApproval } from './decide';
import { verifySlackRequest } from './slack-signature';

export interface SlackDeps extends ApprovalDeps {
  slack: {
    signingSecret: { bytes(): Promise<Buffer> };
    /** Slack user ids allowed to decide. Anyone else in the channel is refused. */
    approvers: readonly string[];
  };
}

export interface SlackReply {
  status: number;
  body: string;
}

const ephemeral = (status: number, text: string): SlackReply => ({ status, body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }) });

type BlockActions = { type?: string; user?: { id?: string; username?: string }; actions?: Array<{ action_id?: string; value?: string }> };

/**
 * Slack interactivity: a button press on a kms-warden message. The request is verified with Slack's signing
 * secret; the presser must be a listed approver; the button's value is the same signed, single-use token an
 * approval link carries, so a decision in Slack and one by link cannot both happen.
 */
export const handleSlackAction =
  (deps: SlackDeps) =>
  async (rawBody: string, headers: Record<string, string | undefined>, requester: Requester): Promise<SlackReply> => {
    const at = deps.now().toISOString();
    const secret = (await deps.slack.signingSecret.bytes()).toString('utf8');
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
      return ephemeral(400, 'kms-warden could not read this Slack request.');
    }
    const user = payload.user?.id;
    const token = payload.actions?.[0]?.value;
    if (payload.type !== 'block_actions' || !user || !token) {
      await deps.audit.record({ at, outcome: 'refused', reason: 'slack payload is not a button press', ...requester });
      return ephemeral(400, 'kms-warden only answers its own buttons.');
    }
    if (!deps.slack.approvers.includes(user)) {
      await deps.audit.record({ at, outcome: 'refused', reason: `slack user ${user} is not an approver`, ...requester });
      return ephemeral(200, 'You are not on the list of kms-warden approvers: nothing was changed.');
    }
    const reply = await decideApproval(deps)(token, requester, `slack:${user}${payload.user?.username ? ` (${payload.user.username})` : ''}`, 'slack');
    return ephemeral(200, reply.summary);
  };
