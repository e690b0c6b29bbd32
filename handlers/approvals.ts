import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { approvalRoute } from '../src/approvals/route';
import { handleSlackAction } from '../src/approvals/slack-actions';
import { approvalDeps, slackDeps } from '../src/approvals/wiring';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

const config = loadConfig();
const deps = approvalDeps(config);
const slack = slackDeps(config, deps);

/** The approval endpoint: links, the decisions they make, and Slack button presses (src/approvals/route.ts). */
export const handler = middy(approvalRoute(deps, slack && handleSlackAction(slack))).use(injectLambdaContext(logger));
