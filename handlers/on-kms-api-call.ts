import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadConfig } from '../src/config';
import { cloudTrailApiCallEventSchema } from '../src/events/cloudtrail-record';
import { logger } from '../src/logger';
import { parseEvent } from '../src/middleware/parse-event';
import { respondToKmsApiCall } from '../src/respond/respond-to-kms-api-call';
import { responderDeps } from '../src/respond/wiring';

const { deps, deadLetters } = responderDeps(loadConfig());

export const handler = middy(respondToKmsApiCall(deps))
  .use(injectLambdaContext(logger))
  .use(parseEvent({ schema: cloudTrailApiCallEventSchema, deadLetters, logger }));
