import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { securityFindingEventSchema, securityFindingResponder } from '../src/composition/responder';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { parseEvent } from '../src/middleware/parse-event';

// Only this function asks CloudTrail which keys a leaked credential used (when CLOUDTRAIL_LOOKUP allows).
const { respond, deadLetters } = securityFindingResponder(loadConfig());

/** GuardDuty findings about IAM credentials and Config compliance changes of KMS keys. */
export const handler = middy(respond)
  .use(injectLambdaContext(logger))
  .use(parseEvent({ schema: securityFindingEventSchema, deadLetters, logger }));
