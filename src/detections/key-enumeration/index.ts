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

export const isKeyRead = (event: KmsApiCall): boolean =>
  keyReadOperations.includes(event.eventName) && !!event.keyArn && !event.invokedBy && !event.byResponder;

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
    const last = seen.enumerated[event.keyArn!];
    // A key read again within a quarter of the window keeps its time: it still counts, and a principal that reads its
    // few keys all day costs no write per batch (the entry may leave the window up to a quarter early).
    if (last !== undefined && at - last < windowMs / 4 && !fired) return;
    for (const [key, time] of Object.entries(seen.enumerated)) if (time <= at - windowMs) delete seen.enumerated[key];
    seen.enumerated[event.keyArn!] = at;
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
    const keys = new Set(
      Object.entries(seen?.enumerated ?? {})
        .filter(([, time]) => time > at - windowMs)
        .map(([key]) => key),
    );
    keys.add(event.keyArn!);
    const alertedRecently = seen?.enumerationAlertedAt !== undefined && at - seen.enumerationAlertedAt < windowMs;
    if (keys.size < distinctKeys || alertedRecently) return null;
    return {
      summary: `${event.principal.arn} read the settings of ${keys.size} keys within ${windowMinutes} minutes`,
      evidence: { distinctKeys: keys.size, windowMinutes, sourceIp: event.sourceIp },
    };
  },
});
