import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { Incident } from '../incidents/incident';
import { composeSlackMessage } from '../notify/compose-slack-message';
import type { LinkSigner } from '../notify/decision-links';
import { linksFor } from '../notify/tell-people';
import { slackMrkdwn, truncate } from '../notify/escape';
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
  /** Signs the links of a replaced message (in process, where the decision's outcome is known at once). */
  links?: LinkSigner;
}

/** What answering a press needs: where to post, and how to sign the links of the message that replaces it. */
export interface PressAnswerDeps {
  post?: typeof fetch | undefined;
  links?: LinkSigner | undefined;
  logger: Logger;
  now: () => Date;
}

export interface SlackReply {
  status: number;
  body: string;
}

/** A Slack button press that passed every check Slack's request allows: signature, age, payload, approver. */
export const verifiedPressSchema = z.object({
  token: z.string().min(1).max(2000),
  user: z.string().min(1).max(50),
  username: z.string().max(100).optional(),
  responseUrl: z.string().max(2000).optional(),
  requester: z.object({ sourceIp: z.string().max(100).optional(), userAgent: z.string().max(500).optional() }),
});
export type VerifiedPress = z.infer<typeof verifiedPressSchema>;

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
    let payload: BlockActions | null;
    try {
      payload = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '') as BlockActions | null;
    } catch {
      await deps.audit.record({ at, outcome: 'refused', reason: 'slack payload is not JSON', ...requester });
      return { status: 400, body: JSON.stringify(ephemeral('kms-warden could not read this Slack request.')) };
    }
    const user = typeof payload?.user?.id === 'string' ? payload.user.id : undefined;
    const token = typeof payload?.actions?.[0]?.value === 'string' ? payload.actions[0].value : undefined;
    if (payload?.type !== 'block_actions' || !user || !token) {
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
    return completeSlackPress(deps)(press);
  };

const refuseNonApprover = async (deps: SlackDeps, press: VerifiedPress): Promise<SlackReply> => {
  await deps.audit.record({
    at: deps.now().toISOString(),
    outcome: 'refused',
    reason: `slack user ${press.user} is not an approver`,
    ...press.requester,
  });
  return respondTo(
    answering(deps),
    press,
    ephemeral('You are not on the list of kms-warden approvers: nothing was changed.'),
  );
};

/** Posts a reply to the press's response_url (Slack's hosts only); returns it as the HTTP answer too. */
const respondTo = async (
  deps: PressAnswerDeps,
  press: { responseUrl?: string | undefined },
  message: object,
): Promise<SlackReply> => {
  const url = press.responseUrl;
  if (url && slackResponseUrl.test(url)) {
    const response = await (deps.post ?? fetch)(url, {
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

const answering = (deps: SlackDeps): PressAnswerDeps => ({
  post: deps.slackInteractivity.post,
  links: deps.links,
  logger: deps.logger,
  now: deps.now,
});

/**
 * Answers a press with what became of its decision: the message is replaced by the incident as it now stands (with
 * only the decisions it can still take) when the decision was carried out; otherwise the presser alone is told.
 * The executor calls this once it has carried out a decision a press made.
 */
export const answerPress = async (
  deps: PressAnswerDeps,
  press: { user: string; responseUrl?: string | undefined },
  reply: { summary: string; incident?: Incident | undefined; carriedOut: boolean },
): Promise<SlackReply> => {
  // The presser's id is Slack's own (a verified request); the summary may carry what outsiders wrote: escaped.
  const said = `<@${slackMrkdwn(press.user)}>: ${slackMrkdwn(reply.summary)}`;
  if (!reply.incident || !reply.carriedOut) return respondTo(deps, press, ephemeral(said));
  const updated = composeSlackMessage(reply.incident, await linksFor(reply.incident, deps, { forSlack: true }));
  return respondTo(deps, press, {
    replace_original: true,
    text: updated.text,
    blocks: [
      ...updated.blocks,
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(said, 3000), verbatim: true }] },
    ],
  });
};

/**
 * Decides a verified press: the token is verified and spent as for any link, the decision recorded with where to
 * answer, and the work handed to the executor. Carried out here (in process), the message is replaced at once;
 * handed over, the presser is told it is being carried out, and the executor replaces the message when done. Never
 * throws: Slack is answered whatever happens.
 */
export const completeSlackPress =
  (deps: SlackDeps) =>
  async (press: VerifiedPress): Promise<SlackReply> => {
    try {
      const reply = await decideApproval(deps)(
        press.token,
        press.requester,
        `slack:${press.user}${press.username ? ` (${press.username})` : ''}`,
        'slack',
        { user: press.user, ...(press.responseUrl ? { responseUrl: press.responseUrl } : {}) },
      );
      return await answerPress(answering(deps), press, {
        summary: reply.summary,
        incident: reply.incident,
        carriedOut: reply.status === 200 && reply.incident !== undefined,
      });
    } catch (error) {
      deps.logger.error('a Slack decision failed', { error: error as Error });
      return respondTo(
        answering(deps),
        press,
        ephemeral(
          `kms-warden could not finish this decision (${(error as Error).message.split('\n')[0]}). See its state with: npx kms-warden incidents list`,
        ),
      ).catch(() => ({ status: 500, body: 'the decision failed and Slack could not be told' }));
    }
  };
