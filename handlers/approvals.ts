import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { decideApproval, showApproval } from '../src/approvals/decide';
import { approvalRequestSchema, htmlResponse, requesterOf, type ApprovalRequest } from '../src/approvals/http';
import { refusalPage } from '../src/approvals/page';
import { approvalDeps } from '../src/approvals/wiring';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

const deps = approvalDeps(loadConfig());
const show = showApproval(deps);
const decide = decideApproval(deps);

/** GET /approvals/{token} shows, POST /approvals/{token} decides. Anything else is refused with a page, never a 500. */
const route = async (event: unknown) => {
  const parsed = approvalRequestSchema.safeParse(event);
  if (!parsed.success) return htmlResponse({ status: 400, html: refusalPage('Bad request', 'This request is not one the approval endpoint answers.') });
  const request: ApprovalRequest = parsed.data;
  const token = request.pathParameters?.token ?? '';
  switch (request.requestContext.http.method) {
    case 'GET':
      return htmlResponse(await show(token, requesterOf(request)));
    case 'POST':
      return htmlResponse(await decide(token, requesterOf(request)));
    default:
      return htmlResponse({ status: 405, html: refusalPage('Method not allowed', 'Open the link, then use the buttons on the page.') });
  }
};

export const handler = middy(route).use(injectLambdaContext(logger));
