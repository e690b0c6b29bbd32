import { carryOutWhenFree, type BusyWait, type DecisionJob } from './carry-out';
import type { DecisionDeps } from './decide';
import { answerPress } from './slack-actions';

/**
 * What the private executor function does with one job: carries out the recorded decision, then answers the Slack
 * press that made it, if one did (its response_url is in the decision's record, never in the job). Returns a short
 * account for the function's result. While another decision of the incident is under way it waits (most of the
 * function's 300 s timeout); past that DecisionBusyError passes through for Lambda to retry.
 */
export const executeDecisionJob = async (
  deps: DecisionDeps & { post?: typeof fetch },
  job: DecisionJob,
  wait: BusyWait = { everyMs: 500, forMs: 240_000 },
) => {
  const outcome = await carryOutWhenFree(deps, job, wait);
  const decision = outcome.ok ? outcome.updated.decisions?.find((d) => d.id === job.decisionId) : undefined;
  if (outcome.ok && !outcome.repeated && decision?.press)
    await answerPress(deps, decision.press, {
      summary: `${decision.action} for ${job.incidentId}: ${outcome.detail}`,
      incident: outcome.updated,
      carriedOut: true,
    }).catch((error: Error) => deps.logger.error('the Slack press could not be answered', { ...job, error }));
  deps.logger.info('decision carried out', {
    ...job,
    ok: outcome.ok,
    ...(outcome.ok ? { detail: outcome.detail } : {}),
  });
  return outcome.ok ? { detail: outcome.detail, complete: outcome.complete } : { notCarriedOut: outcome.current };
};
