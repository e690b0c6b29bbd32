import { pairMemoryOf } from '../memory';
import { statefulDetection } from '../detection';
import { isolate } from '../responses';
import { principalKey } from '../../events/principal';
import type { KmsApiCall } from '../../events/kms-api-call';

/** A call that counts as using a key: successful, direct, on a known key. */
export const isKeyUse = (event: KmsApiCall): boolean =>
  event.succeeded &&
  !event.invokedBy &&
  !event.byResponder &&
  !!event.keyArn &&
  event.eventSource === 'kms.amazonaws.com';

export const newPrincipalForKey = statefulDetection({
  id: 'new-principal-for-key',
  family: 'suspicious-use',
  title: 'A principal used a KMS key for the first time',
  severity: 'medium',
  mitre: ['T1078'],
  stage: 'credential-use',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  // Keys are watched from the first event that names them; a principal is known to a key from its first use.
  learn: (event, memory, { at }) => {
    if (!event.keyArn) return;
    if (!memory.key(event.keyArn)) memory.putKey(event.keyArn, { firstSeen: at });
    if (isKeyUse(event)) pairMemoryOf(memory, event.keyArn, principalKey(event.principal.arn), at);
  },
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
      evidence: {
        keyFirstSeen: new Date(key.firstSeen).toISOString(),
        operation: event.eventName,
        sourceIp: event.sourceIp,
      },
    };
  },
});
