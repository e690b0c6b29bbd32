import { applyPlan, type PlannedAction } from '../actions';
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
import { isActive } from '../incidents/lifecycle';
import type { ResponderDeps } from './responder-deps';

/** Runs a later signal's steps and records their results where they were attached in the incident's plan. */
const finishAttached = async (
  incidentId: string,
  from: number,
  steps: PlannedAction[],
  deps: ResponderDeps,
  resuming: boolean,
  previous?: ActionResult[],
  /** The step made the story critical: people hear now, not after the quiet period. */
  raised = false,
) => {
  const results = await applyPlan(steps, deps, {
    incidentId,
    resuming,
    dryRun: deps.settings.dryRun,
    recorded: previous,
  });
  const recorded = await deps.incidents.recordSignalResults(incidentId, from, results, deps.now().toISOString());
  const incident = await askForNewDecisions(recorded, deps);
  // Urgent: the story became critical. Anything else (a decision now asked for too) waits out the quiet period, so a
  // burst of steps is one update. Before the page has gone out the news is noted, and told once it has.
  await tellOfNews(incident, deps, { urgent: raised });
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

/** Attempts to record a later step of a story before its plan runs anyway and Lambda retries the record. */
const attachAttempts = 4;

/** DynamoDB cancelled a transaction because another write on the item was in flight: worth trying again at once. */
const isTransactionConflict = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'TransactionConflictException' ||
    (error.name === 'TransactionCanceledException' &&
      ((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).some(
        (reason) => reason.Code === 'TransactionConflict',
      )));

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
        holder.results?.slice(from, from + steps.length),
      );
      return { id: finished.id, status: finished.status, duplicate: false };
    }
    await deps.incidents.recordRepeat(holder.id, signal, deps.now().toISOString());
    return { id: holder.id, status: holder.status, duplicate: true };
  }
  // All of a principal's signals write to its story's one item, so signals of a burst race for it: each attempt reads
  // the story again and computes its change from what it read (the write is refused if another step joined since).
  let attached;
  let current = holder;
  let raised = false;
  for (let attempt = 1; ; attempt += 1) {
    const at = deps.now().toISOString();
    try {
      const entry = signalEntryOf(signal, at);
      const story = storyAfter(current, entry, deps.settings.thresholds.correlationWindowHours);
      // Critical now, and not before: worth a message at once, whatever the quiet period.
      raised = story.severity === 'critical' && severityOf(current) !== 'critical';
      attached = await deps.incidents.attachSignal(current.id, entry, plan, current.plan.length, at, {
        ...story,
        signalCount: current.signalIds.length,
        before: severityOf(current),
      });
      break;
    } catch (error) {
      const again =
        attempt < attachAttempts && (error instanceof StateConflictError || isTransactionConflict(error))
          ? await deps.incidents.get(holder.id)
          : undefined;
      // Still taking steps, and not this one yet (another delivery of it may have won): try again from what is there.
      if (again && isActive(again.status) && again.status !== 'rejected' && !again.signalIds.includes(signalId)) {
        current = again;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
        continue;
      }
      // Whatever kept the step from being recorded (its holder's containment still unrecorded, a burst of writes, an
      // item at its size): contain now all the same, then let Lambda retry the record.
      await applyPlan(plan, deps, { incidentId: holder.id, resuming: true, dryRun: deps.settings.dryRun });
      throw new Error(
        `${signalId} was contained but could not be attached to ${holder.id} yet (${error instanceof StateConflictError ? ((error.current as Incident | undefined)?.status ?? 'gone') : (error as Error).name}); retrying`,
        { cause: error },
      );
    }
  }
  if (!attached.attached) return { id: holder.id, status: holder.status, duplicate: true };
  deps.logger.info('signal attached to an open incident', {
    incidentId: holder.id,
    signal: signalId,
    steps: plan.length,
  });
  const incident = await finishAttached(holder.id, current.plan.length, plan, deps, false, undefined, raised);
  return { id: incident.id, status: incident.status, duplicate: false };
};
