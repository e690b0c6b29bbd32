import { decideApproval, showApproval, type ApprovalDeps, type Requester } from './decide';
import { approvalRequestSchema, htmlResponse, rawBodyOf, requesterOf, type ApprovalRequest } from './http';
import { refusalPage } from './page';
import type { SlackReply } from './slack-actions';
import { pressKey } from './sealed-press';

/** Slack's half of the endpoint: a button press as Slack sends it, and a verified press handed over to be decided. */
export interface SlackRoutes {
  action: (rawBody: string, headers: Record<string, string | undefined>, requester: Requester) => Promise<SlackReply>;
  /** A sealed press the function handed itself; checked, then decided. */
  complete: (sealed: unknown) => Promise<SlackReply>;
}

/**
 * The approval endpoint's routing, shared by the deployed function and the local demo's server:
 * GET /approvals/{token} shows, POST /approvals/{token} decides, POST /slack/actions takes Slack button presses.
 * Anything else is refused with a page, never a 500.
 */
export const approvalRoute = (deps: ApprovalDeps, slack?: SlackRoutes) => {
  const show = showApproval(deps);
  const decide = decideApproval(deps);
  return async (event: unknown) => {
    // A press the function handed itself (an asynchronous invocation; API Gateway's events never carry this key).
    // Whoever can invoke the function could send one, so it is decided only under this deployment's seal.
    if (event && typeof event === 'object' && pressKey in event) {
      if (!slack) {
        deps.logger.error('a handed-over Slack press arrived, but Slack is not configured');
        return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'Slack is not configured' };
      }
      const reply = await slack.complete((event as Record<string, unknown>)[pressKey]);
      return { statusCode: reply.status, headers: { 'content-type': 'application/json' }, body: reply.body };
    }
    const parsed = approvalRequestSchema.safeParse(event);
    if (!parsed.success)
      return htmlResponse({
        status: 400,
        html: refusalPage('Bad request', 'This request is not one the approval endpoint answers.'),
        summary: 'bad request',
      });
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
        return htmlResponse(await decide(token, requesterOf(request)));
      default:
        return htmlResponse({
          status: 405,
          html: refusalPage('Method not allowed', 'Open the link, then use the buttons on the page.'),
          summary: 'method not allowed',
        });
    }
  };
};
