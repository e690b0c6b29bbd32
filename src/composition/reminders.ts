import type { Config } from '../config';
import { remindPendingDecisions } from '../respond/remind-pending-decisions';
import { tellers } from './tellers';

/** The reminder function's composition root: on a schedule, reminds on-call of decisions waiting too long. */
export const pendingDecisionReminders = (config: Config) =>
  remindPendingDecisions({ ...tellers(config), waitHours: config.remindAfterHours });
