import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';

export const aliasRetargeted = apiCallDetection({
  id: 'alias-retargeted',
  family: 'access-widened',
  title: 'A KMS alias was pointed at another key or deleted',
  severity: 'medium',
  mitre: ['T1565'],
  stage: 'access-handed-out',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  appliesTo: ['UpdateAlias', 'DeleteAlias'],
  detect: (event) => {
    if (!isDirectSuccessfulCall(event)) return null;
    const aliasName = event.requestParameters.aliasName;
    const target = event.requestParameters.targetKeyId;
    return {
      keyArn: event.keyArn,
      summary:
        event.eventName === 'DeleteAlias'
          ? `${event.principal.arn} deleted alias ${String(aliasName)}`
          : `${event.principal.arn} pointed alias ${String(aliasName)} at ${String(target)}`,
      evidence: { aliasName, targetKeyId: target },
    };
  },
});
