import { detectSignals } from '../detections';
import type { CloudTrailRecord } from '../events/cloudtrail-record';
import { normaliseKmsApiCall, type KmsApiCall } from '../events/kms-api-call';
import { principalIsListed, principalKey } from '../events/principal';
import { containmentTagsChanged } from '../policy/key-facts';
import { MemoryConflictError } from '../errors';
import type { KeyStateChange } from '../state/key-journal';
import { respondToSignals, type Outcome, type ResponderDeps } from './respond-to-signals';

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

/** Detects with detection memory: prefetch, detect and learn, flush; a lost race re-reads and runs again. */
const detectWithMemory = async (call: KmsApiCall, deps: ResponderDeps) => {
  for (let attempt = 1; ; attempt += 1) {
    await deps.memory.prefetch({ principalArn: principalKey(call.principal.arn), keyArn: call.keyArn });
    const signals = detectSignals(call, deps.settings, deps.memory);
    try {
      await deps.memory.flush();
      return signals;
    } catch (error) {
      if (!(error instanceof MemoryConflictError) || attempt >= 3) throw error;
      deps.logger.info('detection memory changed concurrently; detecting again', { attempt });
    }
  }
};

/** The use case behind the KMS rules: normalise, detect, decide, act, record, tell. */
export const respondToKmsApiCall =
  (deps: ResponderDeps) =>
  async (event: { detail: CloudTrailRecord }): Promise<Outcome> => {
    const call = normaliseKmsApiCall(event.detail, { responderRoles: deps.settings.responderRoles });
    const context = {
      eventId: call.eventId,
      eventName: call.eventName,
      keyArn: call.keyArn,
      principal: call.principal.arn,
    };
    if (call.succeeded) await journalChange(call, deps);
    const signals = await detectWithMemory(call, deps);
    if (signals.length === 0) {
      if (!call.succeeded)
        deps.logger.info('failed KMS call: nothing to undo', { ...context, errorCode: call.errorCode });
      else deps.logger.debug('no signal', context);
      return { status: 'ignored', reason: call.succeeded ? 'no detector fired' : `call failed with ${call.errorCode}` };
    }
    return respondToSignals(signals, deps);
  };
