import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { decisionExecutor, decisionJobSchema } from '../src/composition/executor';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { parseEvent } from '../src/middleware/parse-event';

const { carryOut, deadLetters } = decisionExecutor(loadConfig());

/**
 * The private decision executor: no HTTP route reaches it; the approvals function invokes it asynchronously with a
 * decision it recorded. It holds the containment role the internet-facing function does not.
 */
export const handler = middy(carryOut)
  .use(injectLambdaContext(logger))
  .use(parseEvent({ schema: decisionJobSchema, deadLetters, logger }));
