import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';

export const keyReplicated = apiCallDetection({
  id: 'key-replicated',
  family: 'access-widened',
  title: 'A multi-Region key was replicated or its primary Region moved',
  severity: 'medium',
  mitre: ['T1537'],
  stage: 'access-handed-out',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  appliesTo: ['ReplicateKey', 'UpdatePrimaryRegion'],
  detect: (event) => {
    if (!isDirectSuccessfulCall(event) || !event.keyArn) return null;
    const region = event.requestParameters.replicaRegion ?? event.requestParameters.primaryRegion;
    return {
      keyArn: event.keyArn,
      summary:
        event.eventName === 'ReplicateKey'
          ? `${event.principal.arn} replicated ${event.keyArn} to ${String(region)}`
          : `${event.principal.arn} made ${String(region)} the primary Region of ${event.keyArn}`,
      evidence: { region },
    };
  },
});
