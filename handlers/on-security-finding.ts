import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { cloudTrailClient } from '../src/aws/clients';
import { CloudTrailKeyUsage } from '../src/aws/cloudtrail-key-usage';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { parseEvent } from '../src/middleware/parse-event';
import { respondToSecurityFinding, securityFindingEventSchema } from '../src/respond/respond-to-security-finding';
import { responderDeps } from '../src/respond/wiring';

const config = loadConfig();
const { deps: responder, deadLetters } = responderDeps(config);
// Only this function asks CloudTrail which keys a leaked credential used.
const deps = config.cloudTrailLookup ? { ...responder, keyUsage: new CloudTrailKeyUsage(cloudTrailClient()) } : responder;

/** GuardDuty findings about IAM credentials and Config compliance changes of KMS keys. */
export const handler = middy(respondToSecurityFinding(deps))
  .use(injectLambdaContext(logger))
  .use(parseEvent({ schema: securityFindingEventSchema, deadLetters, logger }));
