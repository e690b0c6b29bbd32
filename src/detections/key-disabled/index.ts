import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { byKeyAdministrator, isolate } from '../responses';
import { principalIsListed } from '../../events/principal';

export const keyDisabled = apiCallDetection({
  id: 'key-disabled',
  family: 'key-sabotage',
  title: 'A KMS key was disabled',
  severity: 'high',
  mitre: ['T1485', 'T1486'],
  stage: 'destruction',
  respond: (signal, facts) => (byKeyAdministrator(signal) ? [] : isolate(signal, facts)),
  disablingAddsNothing: true,
  appliesTo: ['DisableKey'],
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event) || !event.keyArn) return null;
    const callerIsKeyAdministrator = principalIsListed(event.principal, settings.keyAdministrators);
    return {
      keyArn: event.keyArn,
      severity: callerIsKeyAdministrator ? 'medium' : 'high',
      summary: `${event.principal.arn} disabled ${event.keyArn}: every workload that uses it now fails`,
      evidence: { callerIsKeyAdministrator },
    };
  },
});
