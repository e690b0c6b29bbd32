import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';

export const keyMaterialImported = apiCallDetection({
  id: 'key-material-imported',
  family: 'protection-weakened',
  title: 'Key material was imported into a KMS key',
  severity: 'medium',
  mitre: ['T1486'],
  stage: 'defence-weakened',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  appliesTo: ['ImportKeyMaterial'],
  detect: (event) =>
    isDirectSuccessfulCall(event) && event.keyArn
      ? {
          keyArn: event.keyArn,
          summary: `${event.principal.arn} imported key material into ${event.keyArn}`,
          evidence: {
            expirationModel: event.requestParameters.expirationModel,
            validTo: event.requestParameters.validTo,
          },
        }
      : null,
});
