import type { Logger } from '@aws-lambda-powertools/logger';
import { applyPlan } from '../actions';
import type { ActionDeps } from '../actions/action';
import { detectSignals } from '../detectors';
import type { DetectionSettings, Signal } from '../detectors/detector';
import type { CloudTrailRecord } from '../events/cloudtrail-record';
import { normaliseKmsApiCall, type KmsApiCall } from '../events/kms-api-call';
import { containmentSucceeded, incidentIdFor, type Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { composeNotification } from '../notify/compose-notification';
import type { Notifier } from '../notify/notifier';
import { planResponse } from '../policy/playbooks';
import { priorKeyState } from '../policy/prior-key-state';
import type { KeyStateChange, KeyStateJournal } from '../state/key-state-journal';

export interface ResponderSettings extends DetectionSettings {
  responderRolePath: string;
  unknownPriorKeyState: 'Enabled' | 'Disabled';
  incidentRetentionDays: number;
}

export interface ResponderDeps extends ActionDeps {
  incidents: IncidentStore;
  keyStates: KeyStateJournal;
  notifier: Notifier;
  logger: Logger;
  settings: ResponderSettings;
  now: () => Date;
}

export type Outcome =
  | { status: 'ignored'; reason: string }
  | { status: 'responded'; incidents: Array<{ id: string; status: string; duplicate: boolean }> };

/** Events that change whether a key is usable, and the state they leave it in. */
const stateChanges: Record<string, KeyStateChange['state']> = {
  CreateKey: 'Enabled',
  EnableKey: 'Enabled',
  DisableKey: 'Disabled',
  CancelKeyDeletion: 'Disabled',
};

const journalChange = async (call: KmsApiCall, deps: ResponderDeps): Promise<void> => {
  const state = stateChanges[call.eventName];
  // The responder's own CancelKeyDeletion is always followed by its decision to enable or not: not a change of intent.
  if (!state || !call.keyArn || (call.byResponder && call.eventName === 'CancelKeyDeletion')) return;
  if (call.eventName === 'CreateKey' && call.responseElements.keyMetadata) {
    const metadata = call.responseElements.keyMetadata as { keyState?: string };
    if (metadata.keyState && metadata.keyState !== 'Enabled') return;
  }
  await deps.keyStates.record(call.keyArn, {
    state,
    changedBy: call.principal.arn,
    eventId: call.eventId,
    eventTime: call.eventTime,
  });
};

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

/** The use case behind the KMS lifecycle rule: normalise, detect, decide, act, record, tell. */
export const respondToKmsApiCall =
  (deps: ResponderDeps) =>
  async (event: { detail: CloudTrailRecord }): Promise<Outcome> => {
    const call = normaliseKmsApiCall(event.detail, { responderRolePath: deps.settings.responderRolePath });
    const context = { eventId: call.eventId, eventName: call.eventName, keyArn: call.keyArn, principal: call.principal.arn };
    if (!call.succeeded) {
      deps.logger.info('failed KMS call: nothing to undo', { ...context, errorCode: call.errorCode });
      return { status: 'ignored', reason: `call failed with ${call.errorCode}` };
    }
    await journalChange(call, deps);
    const signals = detectSignals(call, deps.settings);
    if (signals.length === 0) {
      deps.logger.debug('no signal', context);
      return { status: 'ignored', reason: 'no detector fired' };
    }
    const incidents = [];
    for (const signal of signals) incidents.push(await respondToSignal(signal, deps));
    return { status: 'responded', incidents };
  };
