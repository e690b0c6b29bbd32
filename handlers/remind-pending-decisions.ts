import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { remindPendingDecisions } from '../src/respond/remind-pending-decisions';
import { tellers } from '../src/notify/wiring';

const config = loadConfig();

/** Runs on a schedule: reminds on-call of decisions waiting longer than REMIND_AFTER_HOURS. */
export const handler = middy(remindPendingDecisions({ ...tellers(config), waitHours: config.remindAfterHours })).use(injectLambdaContext(logger));
