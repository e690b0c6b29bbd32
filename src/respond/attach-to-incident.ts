import { applyPlan, type PlannedAction } from '../actions';
import { plainLine } from '../notify/escape';
import type { ActionResult } from '../actions/action';
import type { Signal } from '../detections';
import { StateConflictError } from '../errors';
import {
  containmentSucceeded,
  severityOf,
  signalEntryOf,
  signalIdOf,
  storyAfter,
  type Incident,
} from '../incidents/incident';
import { asksForDecision } from '../notify/decision-links';
import { tellOfNews } from '../notify/tell-news';
import { linksFor } from '../notify/tell-people';
import type { ResponderDeps } from './responder-deps';

/** Runs a later signal's steps and records their results where they were attached in the incident's plan. */
const finishAttached = async (
  incidentId: string,
  from: number,
  steps: PlannedAction[],
  deps: ResponderDeps,
  resuming: boolean,
  lead: string,
  previous?: ActionResult[],
) => {
  const results = await applyPlan(steps, deps, {
    incidentId,
    resuming,
    dryRun: deps.settings.dryRun,
    recorded: previous,
  });
  let incident = await deps.incidents.recordSignalResults(incidentId, from, results, deps.now().toISOString());
  incident = await askForNewDecisions(incident, deps);
  if (incident.notifiedAt === undefined) {
    // The page has not gone out (the story's first response is still telling): it will carry this step.
    deps.logger.info('a later step of a story not yet told', { incidentId, lead });
  } else await tellOfNews(incident, deps);
  // Thrown after recording and telling, so people see the failure; Lambda's retry finds the steps and reruns them.
  if (!containmentSucceeded(results))
    throw new Error(`containment of a later signal of ${incidentId} did not finish: ${JSON.stringify(results)}`);
  return incident;
};

/**
 * A later step may raise the story to where a decision is asked (a re-key once it is high, a step offered for
 * approval): a contained incident then waits for it, as its first message would have, and the re-key plan is asked
 * for. The update that follows carries the links.
 */
const askForNewDecisions = async (incident: Incident, deps: ResponderDeps): Promise<Incident> => {
  const links = await linksFor(incident, deps);
  if (!asksForDecision(links) || incident.status !== 'contained') return incident;
  const waiting = await deps.incidents.awaitDecision(incident.id, deps.now().toISOString()).catch((error: unknown) => {
    if (error instanceof StateConflictError) return undefined;
    throw error;
  });
  if (!waiting) return (await deps.incidents.get(incident.id)) ?? incident;
  if (deps.rekeyPlanner && !waiting.rekeyPlan && links.some((link) => link.action === 'approve-rekey'))
    await deps.rekeyPlanner
      .request(waiting.id)
      .catch((error: Error) =>
        deps.logger.warn('the re-key plan could not be asked for', { incidentId: waiting.id, error }),
      );
  return waiting;
};

/** The summary carries CloudTrail's fields (an S3 object key may hold a line break): one plain line, no more. */
const attachedLead = (signal: Signal) =>
  plainLine(
    `Another step by the same principal: ${signal.summary} (${signal.source.eventName}, event ${signal.source.eventId}).`,
  );

/**
 * A later signal of an active incident's group (same key, principal and family). Its own plan always runs: an
 * attacker who schedules the deletion again must be stopped again, even while the first response is unfinished.
 * The signal and its steps are attached to the incident before they run (results 'pending'), so a retry finds them
 * and finishes them, and a release undoes them with the rest. People hear of every new signal.
 */
export const attachToIncident = async (
  holder: Incident,
  signal: Signal,
  plan: PlannedAction[],
  deps: ResponderDeps,
) => {
  const signalId = signalIdOf(signal);
  const known = holder.signals.find((entry) => entry.id === signalId);
  if (known) {
    // Attached before: finish steps a crashed attempt left pending, or count a redelivery.
    const from = known.planFrom ?? holder.plan.length;
    const steps = holder.plan.slice(from, from + (known.planSteps ?? 0));
    if (holder.results?.slice(from, from + steps.length).some((result) => result.outcome === 'pending')) {
      const finished = await finishAttached(
        holder.id,
        from,
        steps,
        deps,
        true,
        attachedLead(signal),
        holder.results?.slice(from, from + steps.length),
      );
      return { id: finished.id, status: finished.status, duplicate: false };
    }
    await deps.incidents.recordRepeat(holder.id, signal, deps.now().toISOString());
    return { id: holder.id, status: holder.status, duplicate: true };
  }
  const at = deps.now().toISOString();
  let attached;
  try {
    const entry = signalEntryOf(signal, at);
    const story = storyAfter(holder, entry, deps.settings.thresholds.correlationWindowHours);
    attached = await deps.incidents.attachSignal(holder.id, entry, plan, holder.plan.length, at, {
      ...story,
      signalCount: holder.signalIds.length,
      before: severityOf(holder),
    });
  } catch (error) {
    if (!(error instanceof StateConflictError)) throw error;
    // The holder's own containment is unrecorded (still running, or failing) or another signal attached first:
    // contain now all the same, then let Lambda retry the record.
    await applyPlan(plan, deps, { incidentId: holder.id, resuming: true, dryRun: deps.settings.dryRun });
    throw new Error(
      `${signalId} was contained but could not be attached to ${holder.id} yet (${(error.current as Incident | undefined)?.status ?? 'gone'}); retrying`,
      { cause: error },
    );
  }
  if (!attached.attached) return { id: holder.id, status: holder.status, duplicate: true };
  deps.logger.info('signal attached to an open incident', {
    incidentId: holder.id,
    signal: signalId,
    steps: plan.length,
  });
  const incident = await finishAttached(holder.id, holder.plan.length, plan, deps, false, attachedLead(signal));
  return { id: incident.id, status: incident.status, duplicate: false };
};
