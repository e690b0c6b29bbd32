import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { approvalRoute } from '../src/approvals/route';
import { completeSealedPress, handleSlackAction } from '../src/approvals/slack-actions';
import { approvalDeps, slackDeps } from '../src/approvals/wiring';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

const config = loadConfig();
const deps = approvalDeps(config);
// In Lambda, a Slack press is answered at once and decided by an asynchronous invocation of this same function.
const slack = slackDeps(config, deps, process.env.AWS_LAMBDA_FUNCTION_NAME);

/** The approval endpoint: links, the decisions they make, and Slack button presses (src/approvals/route.ts). */
export const handler = middy(approvalRoute(deps, slack && { action: handleSlackAction(slack), complete: completeSealedPress(slack) })).use(injectLambdaContext(logger));
