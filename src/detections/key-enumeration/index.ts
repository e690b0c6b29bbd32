import { principalMemoryOf } from '../memory';
import { statefulDetection } from '../detection';
import { isolate } from '../responses';
import { principalKey } from '../../events/principal';
import type { KmsApiCall } from '../../events/kms-api-call';
import { fingerprintOf } from '../usage-spike/distinct-calls';

export const keyReadOperations = [
  'DescribeKey',
  'GetKeyPolicy',
  'ListGrants',
  'GetKeyRotationStatus',
  'ListResourceTags',
  'ListKeyPolicies',
];

/** An alias a caller named instead of a key (a refused read often names no key ARN). */
const aliasName = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/**
 * The key (or alias) a read names. Refused reads count as much as allowed ones: a caller probing keys it may not read
 * is enumerating all the same, and the stronger sign of the two. An alias is the caller's text: remembered by a
 * 32-bit hash, a short name whatever its length.
 */
export const keyReadTarget = (event: KmsApiCall): string | undefined => {
  if (event.keyArn) return event.keyArn;
  const named = event.requestParameters.keyId;
  return typeof named === 'string' && aliasName.test(named)
    ? `${event.region}:alias#${fingerprintOf(named).toString(16)}`
    : undefined;
};

/**
 * Refused: denied, or naming no key there is (guessing). Throttled reads, reads of keys pending deletion and
 * operations a key type does not support failed for other reasons: they are reads, not refusals.
 */
const refusal = /^(AccessDenied|NotFound)/;
const isRefused = (event: KmsApiCall) => !event.succeeded && refusal.test(event.errorCode ?? '');

/** Keeps a map of times to its `cap` most recent entries; pruned only past it, so the sort is rare. */
const keepRecent = (times: Record<string, number>, cap: number) => {
  const entries = Object.entries(times);
  if (entries.length <= cap) return;
  entries.sort(([, a], [, b]) => b - a);
  for (const [key] of entries.slice(cap)) delete times[key];
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
    const refused = isRefused(event);
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
    // Only the last `distinctKeys` can make the threshold: twice that is kept, so a principal reading thousands of
    // names in a window cannot grow its memory item towards DynamoDB's 400 KB.
    const cap = 2 * settings.thresholds.keyEnumeration.distinctKeys;
    keepRecent(seen.enumerated, cap);
    if (seen.refusedReads) keepRecent(seen.refusedReads, cap);
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
    const refused = Object.entries(seen?.refusedReads ?? {}).filter(recent).length + (isRefused(event) ? 1 : 0);
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
