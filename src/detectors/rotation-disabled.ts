import { isDirectSuccessfulCall, type Detector } from './detector';

export const rotationDisabled: Detector = {
  id: 'rotation-disabled',
  family: 'protection-weakened',
  title: 'Automatic rotation turned off for a KMS key',
  severity: 'medium',
  mitre: ['T1562'],
  appliesTo: ['DisableKeyRotation'],
  detect: (event) =>
    isDirectSuccessfulCall(event) && event.keyArn
      ? { keyArn: event.keyArn, summary: `${event.principal.arn} turned off automatic rotation of ${event.keyArn}`, evidence: {} }
      : null,
};
