import { decideApproval, showApproval, type ApprovalDeps, type Requester } from './decide';
import {
  approvalRequestSchema,
  bodySizeOf,
  htmlResponse,
  maxBodyBytes,
  rawBodyOf,
  requesterOf,
  requesterOfAny,
  type ApprovalRequest,
} from './http';
import { refusalPage } from './page';
import type { SlackReply } from './slack-actions';

/** Slack's half of the endpoint: a button press as Slack sends it. */
export interface SlackRoutes {
  action: (rawBody: string, headers: Record<string, string | undefined>, requester: Requester) => Promise<SlackReply>;
}

/**
 * The approval endpoint's routing, shared by the deployed function and the local demo's server:
 * GET /approvals/{token} shows, POST /approvals/{token} decides, POST /slack/actions takes Slack button presses.
 * Anything else is refused with a page, never a 500.
 */
export const approvalRoute = (deps: ApprovalDeps, slack?: SlackRoutes) => {
  const show = showApproval(deps);
  const decide = decideApproval(deps);
  /** A request refused before it names an incident: audited (rate-limited per source), answered with a page. */
  const refused = async (status: number, title: string, detail: string, event: unknown) => {
    await deps.audit.record({
      at: deps.now().toISOString(),
      outcome: 'refused',
      reason: `${title.toLowerCase()}: ${detail}`,
      ...requesterOfAny(event),
    });
    return htmlResponse({ status, html: refusalPage(title, detail), summary: title.toLowerCase() });
  };
  return async (event: unknown) => {
    // Sized before anything reads it: a link's POST carries no body, a Slack press a few kilobytes.
    const size = bodySizeOf(event);
    if (size > maxBodyBytes(event))
      return refused(
        413,
        'Request too large',
        `a body of ${size} bytes; this endpoint takes at most ${maxBodyBytes(event)}`,
        event,
      );
    const parsed = approvalRequestSchema.safeParse(event);
    if (!parsed.success)
      return refused(400, 'Bad request', 'This request is not one the approval endpoint answers.', event);
    const request: ApprovalRequest = parsed.data;
    if (request.routeKey === 'POST /slack/actions') {
      if (!slack)
        return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'Slack is not configured' };
      const reply = await slack.action(rawBodyOf(request), request.headers ?? {}, requesterOf(request));
      return { statusCode: reply.status, headers: { 'content-type': 'application/json' }, body: reply.body };
    }
    const token = request.pathParameters?.token ?? '';
    switch (request.requestContext.http.method) {
      case 'GET':
        return htmlResponse(await show(token, requesterOf(request)));
      case 'POST':
        // A link's form posts nothing but, for an acknowledgement, the reason typed on the page.
        return htmlResponse(
          await decide(token, requesterOf(request), undefined, undefined, undefined, rawBodyOf(request)),
        );
      default:
        return htmlResponse({
          status: 405,
          html: refusalPage('Method not allowed', 'Open the link, then use the buttons on the page.'),
          summary: 'method not allowed',
        });
    }
  };
};
