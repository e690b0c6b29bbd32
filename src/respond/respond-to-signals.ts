import type { Logger } from '@aws-lambda-powertools/logger';
import { applyPlan } from '../actions';
import type { ActionDeps } from '../actions/action';
import type { DetectionSettings, Signal } from '../detectors/detector';
import { containmentSucceeded, incidentIdFor, type Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { composeNotification } from '../notify/compose-notification';
import type { Notifier } from '../notify/notifier';
import { planResponse } from '../policy/playbooks';
import { priorKeyState } from '../policy/prior-key-state';
import type { DetectionMemoryStore } from '../state/detection-memory';
import type { KeyStateJournal } from '../state/key-state-journal';

export interface ResponderSettings extends DetectionSettings {
  responderRolePath: string;
  unknownPriorKeyState: 'Enabled' | 'Disabled';
  incidentRetentionDays: number;
}

export interface ResponderDeps extends ActionDeps {
  incidents: IncidentStore;
  keyStates: KeyStateJournal;
  memory: DetectionMemoryStore;
  notifier: Notifier;
  logger: Logger;
  settings: ResponderSettings;
  now: () => Date;
}

export type Outcome =
  | { status: 'ignored'; reason: string }
  | { status: 'responded'; incidents: Array<{ id: string; status: string; duplicate: boolean }> };

const expiresAt = (from: Date, days: number): number => Math.floor(from.getTime() / 1000) + days * 86_400;

const respondToSignal = async (signal: Signal, deps: ResponderDeps) => {
  const { logger } = deps;
  const now = deps.now().toISOString();
  const history = signal.keyArn ? await deps.keyStates.history(signal.keyArn) : undefined;
  const prior = priorKeyState(history, signal.principal, deps.settings.unknownPriorKeyState);
  const draft: Incident = {
    id: incidentIdFor(signal),
    status: 'open',
    createdAt: now,
    updatedAt: now,
    keyArn: signal.keyArn,
    signal,
    priorKeyState: prior,
    plan: planResponse(signal, { priorKeyState: prior }),
    expiresAt: expiresAt(deps.now(), deps.settings.incidentRetentionDays),
  };

  const opened = await deps.incidents.open(draft);
  let incident = opened.incident;
  const resuming = !opened.created;
  if (resuming && incident.status !== 'open') {
    logger.info('duplicate delivery of a handled event', { incidentId: incident.id, status: incident.status });
  } else {
    if (resuming) logger.warn('resuming an interrupted response', { incidentId: incident.id });
    // The stored plan is the one to finish, even if settings changed since it was made.
    const results = await applyPlan(incident.plan, deps, { resuming });
    incident = await deps.incidents.recordContainment(incident.id, results, deps.now().toISOString());
    logger.info('containment recorded', { incidentId: incident.id, status: incident.status, results });
  }

  if (incident.notifiedStatus !== incident.status) {
    const notificationId = await deps.notifier.send(composeNotification(incident));
    await deps.incidents.markNotified(incident.id, incident.status, notificationId, deps.now().toISOString());
  }

  if (incident.results && !containmentSucceeded(incident.results)) {
    // Thrown so Lambda retries; the stored plan resumes and finished actions find nothing left to do.
    throw new Error(`containment of ${incident.id} did not finish: ${JSON.stringify(incident.results)}`);
  }
  return { id: incident.id, status: incident.status, duplicate: resuming && opened.incident.status !== 'open' };
};

/** Decide, act, record and tell, for each signal in turn. */
export const respondToSignals = async (signals: readonly Signal[], deps: ResponderDeps): Promise<Outcome> => {
  const incidents = [];
  for (const signal of signals) incidents.push(await respondToSignal(signal, deps));
  return { status: 'responded', incidents };
};
