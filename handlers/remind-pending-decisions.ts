import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { pendingDecisionReminders } from '../src/composition/reminders';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';

/** Runs on a schedule: reminds on-call of decisions waiting longer than REMIND_AFTER_HOURS. */
export const handler = middy(pendingDecisionReminders(loadConfig())).use(injectLambdaContext(logger));
