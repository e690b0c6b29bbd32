import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { rekeyPlanner, rekeyPlanRequestSchema } from '../src/composition/rekey-plan';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { parseEvent } from '../src/middleware/parse-event';

const { plan, deadLetters } = rekeyPlanner(loadConfig());

/**
 * Lists what re-keying an incident's key would do, before anyone approves it, with a read-only role: the responders
 * invoke it asynchronously once an incident asks for the approval; the approval page and the message show the plan.
 */
export const handler = middy(plan)
  .use(injectLambdaContext(logger))
  .use(parseEvent({ schema: rekeyPlanRequestSchema, deadLetters, logger }));
