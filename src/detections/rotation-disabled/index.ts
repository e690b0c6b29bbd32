import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { rotateAgain } from '../responses';

export const rotationDisabled = apiCallDetection({
  id: 'rotation-disabled',
  family: 'protection-weakened',
  title: 'Automatic rotation turned off for a KMS key',
  severity: 'medium',
  mitre: ['T1562'],
  stage: 'defence-weakened',
  respond: (signal) => rotateAgain(signal),
  appliesTo: ['DisableKeyRotation'],
  detect: (event) =>
    isDirectSuccessfulCall(event) && event.keyArn
      ? {
          keyArn: event.keyArn,
          summary: `${event.principal.arn} turned off automatic rotation of ${event.keyArn}`,
          evidence: {},
        }
      : null,
});
