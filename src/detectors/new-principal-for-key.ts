import { principalKey } from '../events/principal';
import type { KmsApiCall } from '../events/kms-api-call';
import type { StatefulDetector } from './detector';

/** A call that counts as using a key: successful, direct, on a known key. */
export const isKeyUse = (event: KmsApiCall): boolean =>
  event.succeeded && !event.invokedBy && !event.byResponder && !!event.keyArn && event.eventSource === 'kms.amazonaws.com';

export const newPrincipalForKey: StatefulDetector = {
  id: 'new-principal-for-key',
  family: 'suspicious-use',
  title: 'A principal used a KMS key for the first time',
  severity: 'medium',
  mitre: ['T1078'],
  appliesTo: ['*'],
  stateful: true,
  detect: (event, settings, memory, at) => {
    if (!isKeyUse(event)) return null;
    const key = memory.key(event.keyArn!);
    const learnedFor = settings.thresholds.learningPeriodDays * 86_400_000;
    if (!key || at - key.firstSeen < learnedFor) return null;
    if (memory.pair(event.keyArn!, principalKey(event.principal.arn))) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} used ${event.keyArn} (${event.eventName}) for the first time since kms-warden started watching it on ${new Date(key.firstSeen).toISOString()}`,
      evidence: { keyFirstSeen: new Date(key.firstSeen).toISOString(), operation: event.eventName, sourceIp: event.sourceIp },
    };
  },
};
