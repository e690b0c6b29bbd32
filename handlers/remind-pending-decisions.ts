import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { remindPendingDecisions } from '../src/respond/remind-pending-decisions';
import { responderDeps } from '../src/respond/wiring';

const config = loadConfig();
const { deps } = responderDeps(config);

/** Runs on a schedule: reminds on-call of decisions waiting longer than REMIND_AFTER_HOURS. */
export const handler = middy(remindPendingDecisions({ ...deps, waitHours: config.remindAfterHours })).use(injectLambdaContext(logger));
