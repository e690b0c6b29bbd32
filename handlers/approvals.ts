import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { approvalEndpoint } from '../src/composition/approvals';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

// In Lambda, a Slack press is answered at once and decided by an asynchronous invocation of this same function.
const route = approvalEndpoint(loadConfig(), process.env.AWS_LAMBDA_FUNCTION_NAME);

/** The approval endpoint: links, the decisions they make, and Slack button presses (src/approvals/route.ts). */
export const handler = middy(route).use(injectLambdaContext(logger));
