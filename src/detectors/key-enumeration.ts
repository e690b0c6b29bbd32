import { principalKey } from '../events/principal';
import type { KmsApiCall } from '../events/kms-api-call';
import type { StatefulDetector } from './detector';

export const keyReadOperations = ['DescribeKey', 'GetKeyPolicy', 'ListGrants', 'GetKeyRotationStatus', 'ListResourceTags', 'ListKeyPolicies'];

export const isKeyRead = (event: KmsApiCall): boolean =>
  keyReadOperations.includes(event.eventName) && !!event.keyArn && !event.invokedBy && !event.byResponder;

export const keyEnumeration: StatefulDetector = {
  id: 'key-enumeration',
  family: 'suspicious-use',
  title: 'One principal read the settings of many KMS keys',
  severity: 'medium',
  mitre: ['T1580', 'T1526'],
  appliesTo: keyReadOperations,
  stateful: true,
  detect: (event, settings, memory, at) => {
    if (!isKeyRead(event)) return null;
    const { distinctKeys, windowMinutes } = settings.thresholds.keyEnumeration;
    const windowMs = windowMinutes * 60_000;
    const seen = memory.principal(principalKey(event.principal.arn));
    const keys = new Set(Object.entries(seen?.enumerated ?? {}).filter(([, time]) => time > at - windowMs).map(([key]) => key));
    keys.add(event.keyArn!);
    const alertedRecently = seen?.enumerationAlertedAt !== undefined && at - seen.enumerationAlertedAt < windowMs;
    if (keys.size < distinctKeys || alertedRecently) return null;
    return {
      summary: `${event.principal.arn} read the settings of ${keys.size} keys within ${windowMinutes} minutes`,
      evidence: { distinctKeys: keys.size, windowMinutes, sourceIp: event.sourceIp },
    };
  },
};
