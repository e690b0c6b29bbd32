import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { kmsApiCallResponder } from '../src/composition/responder';
import { loadConfig } from '../src/config';
import { cloudTrailApiCallEventSchema } from '../src/events/cloudtrail-record';
import { logger } from '../src/logger';
import { parseEvent } from '../src/middleware/parse-event';

const { respond, deadLetters } = kmsApiCallResponder(loadConfig());

export const handler = middy(respond)
  .use(injectLambdaContext(logger))
  .use(parseEvent({ schema: cloudTrailApiCallEventSchema, deadLetters, logger }));
