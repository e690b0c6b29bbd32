import { isDirectSuccessfulCall, type Detector } from './detector';

export const keyMaterialImported: Detector = {
  id: 'key-material-imported',
  family: 'protection-weakened',
  title: 'Key material was imported into a KMS key',
  severity: 'medium',
  mitre: ['T1486'],
  appliesTo: ['ImportKeyMaterial'],
  detect: (event) =>
    isDirectSuccessfulCall(event) && event.keyArn
      ? {
          keyArn: event.keyArn,
          summary: `${event.principal.arn} imported key material into ${event.keyArn}`,
          evidence: { expirationModel: event.requestParameters.expirationModel, validTo: event.requestParameters.validTo },
        }
      : null,
};
