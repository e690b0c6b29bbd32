import { detectSignals } from '../detections';
import type { CloudTrailRecord } from '../events/cloudtrail-record';
import { normaliseKmsApiCall, type KmsApiCall } from '../events/kms-api-call';
import { principalIsListed, principalKey } from '../events/principal';
import { containmentTagsChanged } from '../policy/key-facts';
import type { Signal } from '../detections/detection';
import type { StreamMark } from '../state/detection-memory';
import type { KeyStateChange } from '../state/key-journal';
import { respondToSignals, type Outcome, type ResponderDeps } from './respond-to-signals';
import { responderRolesIn, withOrganization } from './organization';

export type { Outcome, ResponderDeps, ResponderSettings } from './respond-to-signals';

/** Events that change whether a key is usable, and the state they leave it in. */
const stateChanges: Record<string, KeyStateChange['state']> = {
  CreateKey: 'Enabled',
  EnableKey: 'Enabled',
  DisableKey: 'Disabled',
  CancelKeyDeletion: 'Disabled',
};

/** Policies set by PutKeyPolicy or CreateKey, kept so a malicious one can be replaced by the one before it. */
const recordPolicy = async (call: KmsApiCall, deps: ResponderDeps): Promise<void> => {
  const policy = call.requestParameters.policy;
  if (!call.keyArn || policy === undefined || !['PutKeyPolicy', 'CreateKey'].includes(call.eventName)) return;
  await deps.keyPolicies.record(call.keyArn, {
    policy: typeof policy === 'string' ? policy : JSON.stringify(policy),
    changedBy: call.principal.arn,
    eventId: call.eventId,
    eventTime: call.eventTime,
  });
};

/**
 * kms-warden:* tags set or removed: a key administrator's values are the settings kms-warden plans with; anyone
 * else's change is remembered as such (and raises containment-tag-changed). kms-warden's own restore is neither.
 */
const recordSettings = async (call: KmsApiCall, deps: ResponderDeps): Promise<void> => {
  const changed = containmentTagsChanged(call.eventName, call.requestParameters);
  if (!call.keyArn || call.byResponder || Object.keys(changed).length === 0) return;
  const entry = { changedBy: call.principal.arn, eventId: call.eventId, eventTime: call.eventTime, changed };
  if (!principalIsListed(call.principal, deps.settings.keyAdministrators)) {
    await deps.keySettings.others.record(call.keyArn, { ...entry, values: {} });
    return;
  }
  const known = await deps.keySettings.administrators.history(call.keyArn);
  await deps.keySettings.administrators.record(call.keyArn, {
    ...entry,
    values: { ...known?.current.values, ...changed },
  });
};

const journalChange = async (call: KmsApiCall, deps: ResponderDeps): Promise<void> => {
  await recordPolicy(call, deps);
  await recordSettings(call, deps);
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

/**
 * The use case behind the KMS rules, for a batch of calls (the activity stream's) or one (the control-plane path):
 * normalise each, journal what changes a key, detect over the batch in time order with one read of detection memory
 * and one write per memory entry the batch changed, then decide, act, record and tell, call by call. Outcomes come in
 * the order of the records given.
 */
export const respondToKmsApiCalls =
  (given: ResponderDeps) =>
  async (records: readonly CloudTrailRecord[], mark?: StreamMark): Promise<Outcome[]> => {
    const deps = await withOrganization(given);
    // In a member account, kms-warden's calls are its member role's sessions there.
    const calls = records.map((record) =>
      normaliseKmsApiCall(record, { responderRoles: responderRolesIn(deps.settings, record.recipientAccountId) }),
    );
    for (const call of calls) if (call.succeeded) await journalChange(call, deps);
    await deps.memory.prefetch(
      calls.map((call) => ({ principalArn: principalKey(call.principal.arn), keyArn: call.keyArn })),
    );
    // In time order: a stream keeps a principal's events in arrival order, which CloudTrail does not promise is time
    // order. A stable sort keeps arrival order between equal times.
    const inTimeOrder = calls
      .map((call, index) => ({ call, index, at: Date.parse(call.eventTime) }))
      .sort((a, b) => a.at - b.at);
    const signals: Signal[][] = new Array(calls.length);
    for (const { call, index, at } of inTimeOrder) signals[index] = detectSignals(call, deps.settings, deps.memory, at);
    // Acted on before what was learnt is written: a batch that fails in between is retried whole, detects the same
    // signals again from the same memory, and the responses are idempotent (an incident per signal). Written first,
    // a retry would find the batch learnt and raise nothing. (Responding to API-call signals reads no memory, so it
    // leaves the batch's entries as they are.)
    const outcomes: Outcome[] = [];
    for (const [index, call] of calls.entries()) outcomes.push(await outcomeOf(call, signals[index]!, deps));
    await deps.memory.flush(mark);
    return outcomes;
  };

const outcomeOf = async (call: KmsApiCall, signals: Signal[], deps: ResponderDeps): Promise<Outcome> => {
  if (signals.length > 0) return respondToSignals(signals, deps);
  const context = {
    eventId: call.eventId,
    eventName: call.eventName,
    keyArn: call.keyArn,
    principal: call.principal.arn,
  };
  if (!call.succeeded) deps.logger.info('failed KMS call: nothing to undo', { ...context, errorCode: call.errorCode });
  else deps.logger.debug('no signal', context);
  return { status: 'ignored', reason: call.succeeded ? 'no detector fired' : `call failed with ${call.errorCode}` };
};

/** The use case for one call: a batch of one. */
export const respondToKmsApiCall = (deps: ResponderDeps) => {
  const batch = respondToKmsApiCalls(deps);
  return async (event: { detail: CloudTrailRecord }): Promise<Outcome> => (await batch([event.detail]))[0]!;
};
