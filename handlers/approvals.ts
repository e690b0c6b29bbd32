import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { decideApproval, showApproval } from '../src/approvals/decide';
import { approvalRequestSchema, htmlResponse, rawBodyOf, requesterOf, type ApprovalRequest } from '../src/approvals/http';
import { handleSlackAction } from '../src/approvals/slack-actions';
import { refusalPage } from '../src/approvals/page';
import { approvalDeps, slackDeps } from '../src/approvals/wiring';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

const config = loadConfig();
const deps = approvalDeps(config);
const show = showApproval(deps);
const decide = decideApproval(deps);
const slack = slackDeps(config, deps);
const slackAction = slack && handleSlackAction(slack);

/**
 * GET /approvals/{token} shows, POST /approvals/{token} decides, POST /slack/actions takes Slack button presses.
 * Anything else is refused with a page, never a 500.
 */
const route = async (event: unknown) => {
  const parsed = approvalRequestSchema.safeParse(event);
  if (!parsed.success) return htmlResponse({ status: 400, html: refusalPage('Bad request', 'This request is not one the approval endpoint answers.'), summary: 'bad request' });
  const request: ApprovalRequest = parsed.data;
  if (request.routeKey === 'POST /slack/actions') {
    if (!slackAction) return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'Slack is not configured' };
    const reply = await slackAction(rawBodyOf(request), request.headers ?? {}, requesterOf(request));
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

export const handler = middy(route).use(injectLambdaContext(logger));
