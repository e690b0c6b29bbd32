import { principalMemoryOf } from '../memory';
import { statefulDetection } from '../detection';
import { isolate } from '../responses';
import { principalKey } from '../../events/principal';
import type { KmsApiCall } from '../../events/kms-api-call';

export const keyReadOperations = [
  'DescribeKey',
  'GetKeyPolicy',
  'ListGrants',
  'GetKeyRotationStatus',
  'ListResourceTags',
  'ListKeyPolicies',
];

/**
 * An alias a caller named instead of a key (a refused read often names no key ARN): bounded, as it becomes a name in
 * memory.
 */
const aliasName = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/**
 * The key (or alias) a read names. Refused reads count as much as allowed ones: a caller probing keys it may not read
 * is enumerating all the same, and the stronger sign of the two.
 */
export const keyReadTarget = (event: KmsApiCall): string | undefined => {
  if (event.keyArn) return event.keyArn;
  const named = event.requestParameters.keyId;
  return typeof named === 'string' && aliasName.test(named) ? `${event.region}:${named}` : undefined;
};

/** A read of a key's settings, allowed or refused, made directly by a person or workload. */
export const isKeyRead = (event: KmsApiCall): boolean =>
  keyReadOperations.includes(event.eventName) &&
  event.eventSource === 'kms.amazonaws.com' &&
  !event.invokedBy &&
  !event.byResponder &&
  keyReadTarget(event) !== undefined;

export const keyEnumeration = statefulDetection({
  id: 'key-enumeration',
  family: 'suspicious-use',
  title: 'One principal read the settings of many KMS keys',
  severity: 'medium',
  mitre: ['T1580', 'T1526'],
  stage: 'reconnaissance',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  learn: (event, memory, { settings, at, fired }) => {
    if (!isKeyRead(event)) return;
    const principalArn = principalKey(event.principal.arn);
    const seen = principalMemoryOf(memory, principalArn);
    const windowMs = settings.thresholds.keyEnumeration.windowMinutes * 60_000;
    const target = keyReadTarget(event)!;
    const last = seen.enumerated[target];
    const refused = !event.succeeded;
    // A key read again within a quarter of the window keeps its time: it still counts, and a principal that reads its
    // few keys all day costs no write per batch (the entry may leave the window up to a quarter early).
    if (
      last !== undefined &&
      at - last < windowMs / 4 &&
      !fired &&
      (!refused || seen.refusedReads?.[target] !== undefined)
    )
      return;
    for (const [key, time] of Object.entries(seen.enumerated)) if (time <= at - windowMs) delete seen.enumerated[key];
    for (const [key, time] of Object.entries(seen.refusedReads ?? {}))
      if (time <= at - windowMs) delete seen.refusedReads![key];
    seen.enumerated[target] = at;
    if (refused) (seen.refusedReads ??= {})[target] = at;
    // Reported once per window.
    if (fired) seen.enumerationAlertedAt = at;
    memory.putPrincipal(principalArn, seen);
  },
  appliesTo: keyReadOperations,
  stateful: true,
  detect: (event, settings, memory, at) => {
    if (!isKeyRead(event)) return null;
    const { distinctKeys, windowMinutes } = settings.thresholds.keyEnumeration;
    const windowMs = windowMinutes * 60_000;
    const seen = memory.principal(principalKey(event.principal.arn));
    const target = keyReadTarget(event)!;
    const recent = ([key, time]: [string, number]) => time > at - windowMs && key !== target;
    const keys = Object.entries(seen?.enumerated ?? {}).filter(recent).length + 1;
    const refused = Object.entries(seen?.refusedReads ?? {}).filter(recent).length + (event.succeeded ? 0 : 1);
    const alertedRecently = seen?.enumerationAlertedAt !== undefined && at - seen.enumerationAlertedAt < windowMs;
    if (keys < distinctKeys || alertedRecently) return null;
    // Most of them refused: probing keys it has no access to, not an inventory tool reading its own.
    const probing = refused * 2 >= keys;
    return {
      severity: probing ? 'high' : 'medium',
      summary: `${event.principal.arn} tried to read the settings of ${keys} keys within ${windowMinutes} minutes${
        refused > 0 ? `, ${refused} of them refused` : ''
      }`,
      evidence: { distinctKeys: keys, refusedKeys: refused, windowMinutes, sourceIp: event.sourceIp },
    };
  },
});
