import type { Logger } from '@aws-lambda-powertools/logger';
import { applyPlan, type PlannedAction } from '../actions';
import type { ActionDeps, ActionResult } from '../actions/action';
import type { DetectionSettings, Signal } from '../detectors/detector';
import { containmentSucceeded, incidentIdFor, newIncident, signalEntryOf, signalIdOf, type Incident, type KeyProfile } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { linksFor, tellPeople, type TellDeps } from '../notify/tell-people';
import { asksForDecision } from '../approvals/links';
import { planResponse } from '../policy/plan-response';
import { keyFactsFrom, trustedContainmentTags, type KeyFacts, type KeyMode } from '../policy/key-facts';
import type { CircuitBreaker } from '../policy/circuit-breaker';
import type { KeyPolicyJournal } from '../state/key-journal';
import type { CloudTrailKeyUsage } from '../aws/cloudtrail-key-usage';
import { principalKey } from '../events/principal';
import { accountOfKey } from '../events/accounts';
import { KeyNotFoundError, StateConflictError } from '../errors';
import { priorKeyState } from '../policy/prior-key-state';
import type { DetectionMemoryStore } from '../state/detection-memory';
import type { KeySettingsJournal, KeyStateJournal } from '../state/key-journal';

export interface ResponderSettings extends DetectionSettings {
  /** kms-warden's own role ARNs: their calls are its own, and they are never contained. */
  responderRoles: readonly string[];
  /** The account kms-warden runs in, when the stack says (ACCOUNT_ID). */
  accountId?: string | undefined;
  unknownPriorKeyState: 'Enabled' | 'Disabled';
  /** The mode of keys without a kms-warden:mode tag. */
  defaultMode: KeyMode;
  /** Keys never disabled automatically, besides those tagged kms-warden:protected=true. */
  protectedKeys: readonly string[];
  /** Plan, record and notify; apply nothing. */
  dryRun: boolean;
  disableKeysPerHour: number;
  /** RevokeGrant calls started per second. */
  revokesPerSecond: number;
}

export interface ResponderDeps extends ActionDeps, TellDeps {
  incidents: IncidentStore;
  keyStates: KeyStateJournal;
  /** CloudTrail's event history of what an access key did; absent where it cannot be read (the local emulator). */
  keyUsage?: CloudTrailKeyUsage;
  keyPolicies: KeyPolicyJournal;
  /** kms-warden:* tag changes: by key administrators (trusted), and by anyone else. */
  keySettings: { administrators: KeySettingsJournal; others: KeySettingsJournal };
  breaker: CircuitBreaker;
  memory: DetectionMemoryStore;
  logger: Logger;
  settings: ResponderSettings;
  now: () => Date;
}

export type Outcome =
  | { status: 'ignored'; reason: string }
  | { status: 'responded'; incidents: Array<{ id: string; status: string; duplicate: boolean }> };

const policyDetectors = new Set(['key-policy-public', 'key-policy-cross-account', 'key-policy-lockout']);

const isOurs = (signal: Pick<Signal, 'keyArn' | 'source'>): boolean => Boolean(signal.keyArn && accountOfKey(signal.keyArn) === signal.source.accountId);

/**
 * The key's mode and protection, from its kms-warden tags as a key administrator last set them (trustedContainmentTags):
 * a tag changed by anyone else counts for nothing. Keys of other accounts (an attacker's key) have no say here.
 */
const keyFactsFor = async (signal: Signal, deps: ResponderDeps, tags = isOurs(signal) ? tagsOf(signal.keyArn!, deps) : undefined): Promise<KeyFacts> => {
  if (!tags) return keyFactsFrom(undefined, {}, deps.settings);
  const [live, administrators, others] = await Promise.all([tags, deps.keySettings.administrators.history(signal.keyArn!), deps.keySettings.others.history(signal.keyArn!)]);
  const trusted = trustedContainmentTags(live, { administrator: administrators?.current, tampered: others?.current }, deps.settings.defaultMode);
  return keyFactsFrom(signal.keyArn, trusted.tags, deps.settings, trusted.source);
};

const tagsOf = async (keyArn: string, deps: ResponderDeps): Promise<Record<string, string>> => {
  try {
    return await deps.kms.tags(keyArn);
  } catch (error) {
    if (!(error instanceof KeyNotFoundError)) throw error;
    deps.logger.warn('key not found while reading its tags; planning with the default mode', { keyArn });
    return {};
  }
};

/**
 * The key as its owners describe it, for people: aliases, description, tags. Nice to have: what cannot be read
 * is logged and left out, and planning goes on.
 */
const keyProfileFor = async (signal: Signal, deps: ResponderDeps, tagsRead: Promise<Record<string, string>> | undefined): Promise<KeyProfile | undefined> => {
  if (!tagsRead) return undefined;
  const keyArn = signal.keyArn!;
  const unread = (what: string) => (error: Error) => {
    deps.logger.warn(`could not read the key's ${what}; messages go without it`, { keyArn, error });
    return undefined;
  };
  const [aliases, status, tags] = await Promise.all([
    deps.kms.aliases(keyArn).catch(unread('aliases')),
    deps.kms.status(keyArn).catch(unread('description')),
    tagsRead.catch(unread('tags')),
  ]);
  return {
    aliases: aliases ?? [],
    description: status?.description,
    tags: Object.fromEntries(Object.entries(tags ?? {}).filter(([name]) => !name.startsWith('kms-warden:'))),
    ...(status?.multiRegion?.replicas.length ? { replicas: status.multiRegion.replicas } : {}),
    ...(status?.keyManager ? { keyManager: status.keyManager } : {}),
  };
};

/** How far back to look for the keys a leaked credential used. */
const keyUsageLookback = 7 * 86_400_000;

/**
 * The keys a principal named by a finding used recently: first what detection memory remembers, then CloudTrail's
 * event history for its access key. Only keys of the finding's own account are kept.
 */
const keysUsedBySuspect = async (signal: Signal, deps: ResponderDeps): Promise<Array<{ keyArn: string; key: KeyFacts }>> => {
  if (signal.keyArn || signal.detector !== 'guardduty-credential-compromise') return [];
  const principal = principalKey(signal.principal.arn);
  await deps.memory.prefetch({ principalArn: principal });
  const remembered = Object.keys(deps.memory.principal(principal)?.keysUsed ?? {});
  const accessKeyId = signal.principal.accessKeyId;
  const now = deps.now();
  const looked = deps.keyUsage && accessKeyId ? await deps.keyUsage.keysUsedBy(accessKeyId, new Date(now.getTime() - keyUsageLookback), now) : [];
  const keys = [...new Set([...remembered, ...looked])].filter((keyArn) => accountOfKey(keyArn) === signal.source.accountId);
  const found = await Promise.all(
    keys.map(async (keyArn) => {
      // AWS managed keys (a credential's use through S3 or EBS names them) belong to their service: left alone.
      const status = await deps.kms.status(keyArn).catch(() => undefined);
      return status?.keyManager === 'AWS' ? undefined : { keyArn, key: await keyFactsFor({ ...signal, keyArn }, deps) };
    }),
  );
  return found.filter((entry): entry is { keyArn: string; key: KeyFacts } => entry !== undefined);
};

/** An automatic disable-key beyond the hourly cap becomes an offer for approval. */
const throughCircuitBreaker = async (plan: PlannedAction[], signal: Signal, incidentId: string, deps: ResponderDeps): Promise<PlannedAction[]> => {
  const checked: PlannedAction[] = [];
  for (const step of plan) {
    if (step.type === 'disable-key' && step.run === 'automatic' && !(await deps.breaker.allowDisable(signal.source.accountId ?? 'unknown', incidentId, deps.now()))) {
      checked.push({ ...step, run: 'approval', why: `circuit breaker: ${deps.settings.disableKeysPerHour} keys already disabled automatically this hour` });
    } else {
      checked.push(step);
    }
  }
  return checked;
};

/**
 * Tells people of a status they have not been told of. When the incident has decisions to take and links can be
 * signed, it first moves to awaiting-approval: the message that carries the links is the request for a decision.
 */
const tellOfStatus = async (incident: Incident, deps: ResponderDeps): Promise<Incident> => {
  if (incident.notifiedStatus === incident.status) return incident;
  const links = await linksFor(incident, deps);
  let current = incident;
  if (asksForDecision(links) && current.status === 'contained') current = await deps.incidents.awaitDecision(current.id, deps.now().toISOString());
  const notificationId = await tellPeople(current, deps, {}, links);
  await deps.incidents.markNotified(current.id, current.status, notificationId, deps.now().toISOString());
  return current;
};

/** Runs a later signal's steps and records their results where they were attached in the incident's plan. */
const finishAttached = async (incidentId: string, from: number, steps: PlannedAction[], deps: ResponderDeps, resuming: boolean, lead: string, previous?: ActionResult[]) => {
  const results = await applyPlan(steps, deps, { resuming, dryRun: deps.settings.dryRun, recorded: previous });
  const incident = await deps.incidents.recordSignalResults(incidentId, from, results, deps.now().toISOString());
  await tellPeople(incident, deps, { lead });
  // Thrown after recording and telling, so people see the failure; Lambda's retry finds the steps and reruns them.
  if (!containmentSucceeded(results)) throw new Error(`containment of a later signal of ${incidentId} did not finish: ${JSON.stringify(results)}`);
  return incident;
};

const attachedLead = (signal: Signal) =>
  `Another signal from the same principal on the same key: ${signal.summary} (${signal.source.eventName}, event ${signal.source.eventId}).`;

/**
 * A later signal of an active incident's group (same key, principal and family). Its own plan always runs: an
 * attacker who schedules the deletion again must be stopped again, even while the first response is unfinished.
 * The signal and its steps are attached to the incident before they run (results 'pending'), so a retry finds them
 * and finishes them, and a release undoes them with the rest. People hear of every new signal.
 */
const attachToIncident = async (holder: Incident, signal: Signal, plan: PlannedAction[], deps: ResponderDeps) => {
  const signalId = signalIdOf(signal);
  const known = holder.signals.find((entry) => entry.id === signalId);
  if (known) {
    // Attached before: finish steps a crashed attempt left pending, or count a redelivery.
    const from = known.planFrom ?? holder.plan.length;
    const steps = holder.plan.slice(from, from + (known.planSteps ?? 0));
    if (holder.results?.slice(from, from + steps.length).some((result) => result.outcome === 'pending')) {
      const finished = await finishAttached(holder.id, from, steps, deps, true, attachedLead(signal), holder.results?.slice(from, from + steps.length));
      return { id: finished.id, status: finished.status, duplicate: false };
    }
    await deps.incidents.recordRepeat(holder.id, signal, deps.now().toISOString());
    return { id: holder.id, status: holder.status, duplicate: true };
  }
  const at = deps.now().toISOString();
  let attached;
  try {
    attached = await deps.incidents.attachSignal(holder.id, signalEntryOf(signal, at), plan, holder.plan.length, at);
  } catch (error) {
    if (!(error instanceof StateConflictError)) throw error;
    // The holder's own containment is unrecorded (still running, or failing) or another signal attached first:
    // contain now all the same, then let Lambda retry the record.
    await applyPlan(plan, deps, { resuming: true, dryRun: deps.settings.dryRun });
    throw new Error(`${signalId} was contained but could not be attached to ${holder.id} yet (${(error.current as Incident | undefined)?.status ?? 'gone'}); retrying`, { cause: error });
  }
  if (!attached.attached) return { id: holder.id, status: holder.status, duplicate: true };
  deps.logger.info('signal attached to an open incident', { incidentId: holder.id, signal: signalId, steps: plan.length });
  const incident = await finishAttached(holder.id, holder.plan.length, plan, deps, false, attachedLead(signal));
  return { id: incident.id, status: incident.status, duplicate: false };
};

const respondToSignal = async (signal: Signal, deps: ResponderDeps) => {
  const { logger } = deps;
  const now = deps.now().toISOString();
  // Independent reads go out together: the plan waits for one round trip, not three.
  // The key's tags are read once: they give its mode to the plan and its labels to people.
  const tagsRead = isOurs(signal) ? tagsOf(signal.keyArn!, deps) : undefined;
  const [history, key, policyHistory, keysUsed, keyProfile, settingsHistory] = await Promise.all([
    signal.keyArn ? deps.keyStates.history(signal.keyArn) : undefined,
    keyFactsFor(signal, deps, tagsRead),
    signal.keyArn && policyDetectors.has(signal.detector) ? deps.keyPolicies.history(signal.keyArn) : undefined,
    keysUsedBySuspect(signal, deps),
    keyProfileFor(signal, deps, tagsRead),
    signal.keyArn && signal.detector === 'containment-tag-changed' ? deps.keySettings.administrators.history(signal.keyArn) : undefined,
  ]);
  const prior = priorKeyState(history, signal.principal, deps.settings.unknownPriorKeyState);
  const planned = planResponse(signal, {
    priorKeyState: prior,
    policyHistory,
    key,
    trustedAccounts: deps.settings.trustedAccounts,
    responderRoles: deps.settings.responderRoles,
    ownAccount: deps.settings.accountId ?? (signal.keyArn ? accountOfKey(signal.keyArn) : undefined) ?? signal.source.accountId,
    now,
    revokesPerSecond: deps.settings.revokesPerSecond,
    keysUsed,
    ...(settingsHistory ? { administratorTags: settingsHistory.current.values } : {}),
    ...(keyProfile?.keyManager === 'AWS' ? { awsManagedKey: true } : {}),
    guardDutyQuarantineSeverity: deps.settings.thresholds.guardDutyQuarantineSeverity,
  });
  // A restore names the policies by reference: their texts are stored before the plan is.
  if (policyHistory && planned.some((step) => step.type === 'restore-key-policy')) {
    await Promise.all([policyHistory.current, policyHistory.previous].flatMap((change) => (change ? [deps.policyTexts.put(change.policy)] : [])));
  }
  const plan = await throughCircuitBreaker(planned, signal, incidentIdFor(signal), deps);
  const draft = newIncident(signal, now, {
    priorKeyState: prior,
    keyMode: key,
    keyProfile,
    plan,
    dryRun: deps.settings.dryRun,
  });

  const opened = await deps.incidents.open(draft);
  if (opened.outcome === 'grouped') return attachToIncident(opened.incident, signal, plan, deps);
  let incident = opened.incident;
  const resuming = opened.outcome === 'exists';
  if (resuming && incident.status !== 'open') {
    // GuardDuty re-publishes a finding as it goes on: count it, and act no more.
    incident = await deps.incidents.recordRepeat(incident.id, signal, deps.now().toISOString());
    logger.info('the signal of a handled incident again', { incidentId: incident.id, status: incident.status, occurrences: incident.occurrences });
  } else {
    if (resuming) logger.warn('resuming an interrupted response', { incidentId: incident.id });
    // The stored plan is the one to finish, even if settings changed since it was made.
    const results = await applyPlan(incident.plan, deps, { resuming, dryRun: incident.dryRun, recorded: resuming ? incident.results : undefined });
    incident = await deps.incidents.recordContainment(incident.id, results, deps.now().toISOString());
    logger.info('containment recorded', { incidentId: incident.id, status: incident.status, results });
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
  for (const signal of signals) incidents.push(await respondToSignal(signal, deps));
  return { status: 'responded', incidents };
};
