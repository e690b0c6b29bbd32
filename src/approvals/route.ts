import { decideApproval, showApproval, type ApprovalDeps, type Requester } from './decide';
import { approvalRequestSchema, htmlResponse, rawBodyOf, requesterOf, type ApprovalRequest } from './http';
import { refusalPage } from './page';
import { pressKey, verifiedPressSchema, type SlackReply, type VerifiedPress } from './slack-actions';
import type { Logger } from '@aws-lambda-powertools/logger';

/** Slack's half of the endpoint: a button press as Slack sends it, and a verified press handed over to be decided. */
export interface SlackRoutes {
  action: (rawBody: string, headers: Record<string, string | undefined>, requester: Requester) => Promise<SlackReply>;
  complete: (press: VerifiedPress) => Promise<SlackReply>;
}

/**
 * The approval endpoint's routing, shared by the deployed function and the local demo's server:
 * GET /approvals/{token} shows, POST /approvals/{token} decides, POST /slack/actions takes Slack button presses.
 * Anything else is refused with a page, never a 500.
 */
export const approvalRoute = (deps: ApprovalDeps & { logger: Logger }, slack?: SlackRoutes) => {
  const show = showApproval(deps);
  const decide = decideApproval(deps);
  return async (event: unknown) => {
    // Only a principal allowed to invoke the function can send this (its own role); HTTP requests arrive as API
    // Gateway events, whose fields never include it. The press is checked again when it is decided.
    if (event && typeof event === 'object' && pressKey in event) {
      const press = verifiedPressSchema.safeParse((event as Record<string, unknown>)[pressKey]);
      if (!slack || !press.success) {
        deps.logger.error('a handed-over Slack press was refused', { configured: Boolean(slack), problems: press.success ? [] : press.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
        return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'not a press kms-warden can decide' };
      }
      const reply = await slack.complete(press.data);
      return { statusCode: reply.status, headers: { 'content-type': 'application/json' }, body: reply.body };
    }
    const parsed = approvalRequestSchema.safeParse(event);
    if (!parsed.success) return htmlResponse({ status: 400, html: refusalPage('Bad request', 'This request is not one the approval endpoint answers.'), summary: 'bad request' });
    const request: ApprovalRequest = parsed.data;
    if (request.routeKey === 'POST /slack/actions') {
      if (!slack) return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'Slack is not configured' };
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
        return htmlResponse({ status: 405, html: refusalPage('Method not allowed', 'Open the link, then use the buttons on the page.'), summary: 'method not allowed' });
    }
  };
};
