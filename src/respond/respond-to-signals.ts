import { applyPlan } from '../actions';
import type { Signal } from '../detections';
import { containmentSucceeded, incidentIdFor, newIncident } from '../incidents/incident';
import { attachToIncident } from './attach-to-incident';
import { gatherFacts } from './gather-facts';
import { throughCircuitBreaker } from './guard-plan';
import { planResponse } from './plan-response';
import type { Outcome, ResponderDeps } from './responder-deps';
import { tellOfStatus } from './tell-of-status';
import { accountNameOf } from './organization';

export type { KeyUsageHistory, Outcome, ResponderDeps, ResponderSettings } from './responder-deps';

/**
 * The response pipeline, the same for every detection: gather what its detection needs, plan (its playbook shaped
 * by the key's mode), guard (the circuit breaker), open the incident (the one winner), act, record, tell.
 */
const respondToSignal = async (signal: Signal, deps: ResponderDeps) => {
  const { logger } = deps;
  deps.metrics?.signal(signal.detector, signal.severity);
  const { prior, facts, keyProfile, policyHistory } = await gatherFacts(signal, deps);
  const { now } = facts;
  const planned = planResponse(signal, facts);
  // A restore names the policies by reference: their texts are stored before the plan is.
  if (policyHistory && planned.some((step) => step.type === 'restore-key-policy')) {
    await Promise.all(
      [policyHistory.current, policyHistory.previous].flatMap((change) =>
        change ? [deps.policyTexts.put(change.policy)] : [],
      ),
    );
  }
  const plan = await throughCircuitBreaker(planned, signal, incidentIdFor(signal), deps);
  const draft = newIncident(
    signal,
    now,
    {
      priorKeyState: prior,
      keyMode: facts.key,
      keyProfile,
      plan,
      dryRun: deps.settings.dryRun,
      ...accountNameOf(signal, deps.settings),
    },
    deps.settings.thresholds.correlationWindowHours,
  );

  const opened = await deps.incidents.open(draft);
  if (opened.outcome === 'grouped') return attachToIncident(opened.incident, signal, plan, deps);
  let incident = opened.incident;
  const resuming = opened.outcome === 'exists';
  if (resuming && incident.status !== 'open') {
    // GuardDuty re-publishes a finding as it goes on: count it, and act no more.
    incident = await deps.incidents.recordRepeat(incident.id, signal, deps.now().toISOString());
    logger.info('the signal of a handled incident again', {
      incidentId: incident.id,
      status: incident.status,
      occurrences: incident.occurrences,
    });
  } else {
    if (resuming) logger.warn('resuming an interrupted response', { incidentId: incident.id });
    // The stored plan is the one to finish, even if settings changed since it was made.
    const results = await applyPlan(incident.plan, deps, {
      incidentId: incident.id,
      resuming,
      dryRun: incident.dryRun,
      recorded: resuming ? incident.results : undefined,
    });
    incident = await deps.incidents.recordContainment(incident.id, results, deps.now().toISOString());
    logger.info('containment recorded', { incidentId: incident.id, status: incident.status, results });
    deps.metrics?.steps(results);
    const eventAt = Date.parse(signal.source.eventTime);
    if (incident.status === 'contained' && Number.isFinite(eventAt))
      deps.metrics?.contained(deps.now().getTime() - eventAt);
  }

  incident = await tellOfStatus(incident, deps);

  if (incident.results && !containmentSucceeded(incident.results)) {
    // Thrown so Lambda retries; the stored plan resumes and finished actions find nothing left to do.
    throw new Error(`containment of ${incident.id} did not finish: ${JSON.stringify(incident.results)}`);
  }
  return { id: incident.id, status: incident.status, duplicate: resuming && opened.incident.status !== 'open' };
};

/** Decide, act, record and tell, for each signal in turn. */
export const respondToSignals = async (signals: readonly Signal[], deps: ResponderDeps): Promise<Outcome> => {
  const incidents = [];
  try {
    for (const signal of signals) incidents.push(await respondToSignal(signal, deps));
  } finally {
    deps.metrics?.flush();
  }
  return { status: 'responded', incidents };
};
