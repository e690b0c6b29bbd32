import { maxSources, pairMemoryOf } from '../memory';
import { statefulDetection } from '../detection';
import { isolate } from '../responses';
import { principalKey } from '../../events/principal';
import type { KmsApiCall } from '../../events/kms-api-call';
import { isKeyUse } from '../new-principal-for-key';

/** Where a call came from: the VPC endpoint when there is one, else the source address. */
export const networkSourceOf = (event: KmsApiCall): string | undefined => event.vpcEndpointId ?? event.sourceIp;

export const newSourceForPrincipal = statefulDetection({
  id: 'new-source-for-principal',
  family: 'suspicious-use',
  title: 'A principal used a KMS key from a new network source',
  severity: 'medium',
  mitre: ['T1078', 'T1550'],
  stage: 'credential-use',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  learn: (event, memory, { at }) => {
    const source = networkSourceOf(event);
    if (!isKeyUse(event) || !source) return;
    const principalArn = principalKey(event.principal.arn);
    const pair = pairMemoryOf(memory, event.keyArn!, principalArn, at);
    // Only a new source costs a count; past the cap nothing more is learnt (nor detected).
    if (pair.sources[source] !== undefined || Object.keys(pair.sources).length >= maxSources) return;
    pair.sources[source] = at;
    memory.putPair(event.keyArn!, principalArn, pair);
  },
  appliesTo: ['*'],
  stateful: true,
  detect: (event, settings, memory, at) => {
    const source = networkSourceOf(event);
    if (!isKeyUse(event) || !source) return null;
    const pair = memory.pair(event.keyArn!, principalKey(event.principal.arn));
    const learnedFor = settings.thresholds.learningPeriodDays * 86_400_000;
    if (!pair || at - pair.firstSeen < learnedFor || pair.sources[source] !== undefined) return null;
    // A principal already seen from `maxSources` places uses many (a NAT pool, AWS's own addresses): one more says
    // nothing.
    if (Object.keys(pair.sources).length >= maxSources) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} used ${event.keyArn} from ${source}, not seen for this principal and key before`,
      evidence: { source, knownSources: Object.keys(pair.sources).slice(0, 20), operation: event.eventName },
    };
  },
});
