import { composeSlackMessage } from '../notify/compose-slack-message';
import { linksFor } from '../notify/tell-people';
import type { ApprovalDeps, Requester } from './decide';
import { decideApproval } from './decide';
import { verifySlackRequest } from './slack-signature';
import { sealPress, unsealPress, type SealedPress, type VerifiedPress } from './sealed-press';

export interface SlackDeps extends ApprovalDeps {
  slackInteractivity: {
    signingSecret: { bytes(): Promise<Buffer> };
    /** Slack user ids allowed to decide. Anyone else in the channel is refused. */
    approvers: readonly string[];
    /** Posts to the press's response_url; fetch, unless a test puts something else here. */
    post?: typeof fetch;
    /**
     * Hands a verified press to be decided after Slack has its answer (Slack wants one within 3 seconds, and a
     * decision can take longer: a release undoes every step). Absent: decided before answering (local runs).
     */
    later?: SlackDeferral;
  };
}

/** Where a verified, sealed press goes to be decided later: the approvals function invoking itself asynchronously. */
export interface SlackDeferral {
  defer(sealed: SealedPress): Promise<void>;
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
    const verified = verifySlackRequest(
      secret,
      { timestamp: headers['x-slack-request-timestamp'], signature: headers['x-slack-signature'] },
      rawBody,
      deps.now(),
    );
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
    const user = payload.user?.id;
    const token = payload.actions?.[0]?.value;
    if (payload.type !== 'block_actions' || !user || !token) {
      await deps.audit.record({ at, outcome: 'refused', reason: 'slack payload is not a button press', ...requester });
      return { status: 400, body: JSON.stringify(ephemeral('kms-warden only answers its own buttons.')) };
    }
    const press: VerifiedPress = {
      token,
      user,
      username: payload.user?.username,
      responseUrl: payload.response_url,
      requester,
    };
    if (!interactivity.approvers.includes(user)) return refuseNonApprover(deps, press);
    if (interactivity.later) {
      // Answered at once; the decision and its message follow through response_url. If the hand-over fails, the
      // decision is made now: late is better than not at all.
      try {
        await interactivity.later.defer(sealPress(press, await deps.secret.bytes(), deps.now()));
        return { status: 200, body: '' };
      } catch (error) {
        deps.logger.error('a Slack press could not be handed over; deciding it now', { error: error as Error });
      }
    }
    return completeSlackPress(deps)(press);
  };

const refuseNonApprover = async (deps: SlackDeps, press: VerifiedPress): Promise<SlackReply> => {
  await deps.audit.record({
    at: deps.now().toISOString(),
    outcome: 'refused',
    reason: `slack user ${press.user} is not an approver`,
    ...press.requester,
  });
  return respondTo(deps, press, ephemeral('You are not on the list of kms-warden approvers: nothing was changed.'));
};

/** Posts a reply to the press's response_url (Slack's hosts only); returns it as the HTTP answer too. */
const respondTo = async (deps: SlackDeps, press: VerifiedPress, message: object): Promise<SlackReply> => {
  const url = press.responseUrl;
  if (url && slackResponseUrl.test(url)) {
    const response = await (deps.slackInteractivity.post ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(5000),
    }).catch((error: Error) => ({ ok: false, status: 0, text: async () => error.message }));
    if (!response.ok)
      deps.logger.error('Slack response_url refused the reply', {
        status: response.status,
        body: (await response.text()).slice(0, 200),
      });
  } else if (url) {
    deps.logger.warn('a response_url not on hooks.slack.com was ignored', { url: url.slice(0, 100) });
  }
  return { status: 200, body: JSON.stringify(message) };
};

/**
 * Decides a verified press and replaces the Slack message with the incident as it now stands. The approver list is
 * checked again (a press handed over may have waited while the list changed), and the token is verified and spent
 * as for any link. Never throws: an asynchronous invocation that threw would be retried, and the press told twice.
 */
export const completeSlackPress =
  (deps: SlackDeps) =>
  async (press: VerifiedPress): Promise<SlackReply> => {
    try {
      if (!deps.slackInteractivity.approvers.includes(press.user)) return await refuseNonApprover(deps, press);
      const reply = await decideApproval(deps)(
        press.token,
        press.requester,
        `slack:${press.user}${press.username ? ` (${press.username})` : ''}`,
        'slack',
      );
      if (!reply.incident) return await respondTo(deps, press, ephemeral(reply.summary));
      const updated = composeSlackMessage(reply.incident, await linksFor(reply.incident, deps));
      return await respondTo(deps, press, {
        replace_original: true,
        text: updated.text,
        blocks: [
          ...updated.blocks,
          {
            type: 'context',
            elements: [{ type: 'mrkdwn', text: `<@${press.user}>: ${reply.summary}`.slice(0, 3000) }],
          },
        ],
      });
    } catch (error) {
      deps.logger.error('a Slack decision failed', { error: error as Error });
      return respondTo(
        deps,
        press,
        ephemeral(
          `kms-warden could not finish this decision (${(error as Error).message.split('\n')[0]}). See its state with: npx kms-warden incidents list`,
        ),
      ).catch(() => ({ status: 500, body: 'the decision failed and Slack could not be told' }));
    }
  };

/**
 * A press the function handed itself: decided only if its seal is this deployment's, unaltered and recent. A
 * refusal is audited and logged; nothing is thrown, so Lambda has nothing to retry.
 */
export const completeSealedPress =
  (deps: SlackDeps) =>
  async (event: unknown): Promise<SlackReply> => {
    try {
      const unsealed = unsealPress(event, await deps.secret.bytes(), deps.now());
      if (unsealed.ok) return await completeSlackPress(deps)(unsealed.press);
      deps.logger.error('a handed-over Slack press was refused', { problem: unsealed.problem });
      await deps.audit.record({
        at: deps.now().toISOString(),
        outcome: 'refused',
        reason: `handed-over slack press: ${unsealed.problem}`,
      });
      return { status: 400, body: 'not a press kms-warden can decide' };
    } catch (error) {
      deps.logger.error('a handed-over Slack press could not be checked', { error: error as Error });
      return { status: 500, body: 'the press could not be checked' };
    }
  };
