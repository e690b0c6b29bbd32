import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';

export const importedMaterialDeleted = apiCallDetection({
  id: 'imported-material-deleted',
  family: 'key-sabotage',
  title: 'Imported key material was deleted',
  severity: 'critical',
  mitre: ['T1485'],
  stage: 'destruction',
  respond: (signal, facts) => isolate(signal, facts),
  disablingAddsNothing: true,
  appliesTo: ['DeleteImportedKeyMaterial'],
  detect: (event) =>
    isDirectSuccessfulCall(event) && event.keyArn
      ? {
          keyArn: event.keyArn,
          summary: `${event.principal.arn} deleted the imported key material of ${event.keyArn}: the key is unusable at once, with no waiting period, until the same material is imported again`,
          evidence: { keyMaterialId: event.requestParameters.keyMaterialId },
        }
      : null,
});
