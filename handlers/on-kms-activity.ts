import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { kmsActivityResponder } from '../src/composition/activity';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

// Malformed records are kept in the dead-letter queue by the use case itself: a batch is read record by record.
const { respond } = kmsActivityResponder(loadConfig());

/** Batches of direct KMS calls (and S3 writes naming a key) from the activity stream. */
export const handler = middy(respond).use(injectLambdaContext(logger));
