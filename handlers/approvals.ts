import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { lambdaApprovalEndpoint } from '../src/composition/approvals';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

// Links and Slack presses are verified and their decisions recorded here; the work goes to the private executor.
const route = lambdaApprovalEndpoint(loadConfig());

/** The approval endpoint: links, the decisions they record, and Slack button presses (src/approvals/route.ts). */
export const handler = middy(route).use(injectLambdaContext(logger));
