import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { parseEvent } from '../src/middleware/parse-event';
import { respondToSecurityFinding, securityFindingEventSchema } from '../src/respond/respond-to-security-finding';
import { responderDeps } from '../src/respond/wiring';

const { deps, deadLetters } = responderDeps(loadConfig());

/** GuardDuty findings about IAM credentials and Config compliance changes of KMS keys. */
export const handler = middy(respondToSecurityFinding(deps))
  .use(injectLambdaContext(logger))
  .use(parseEvent({ schema: securityFindingEventSchema, deadLetters, logger }));
