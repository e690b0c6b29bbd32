import type { KmsApiCall } from '../events/kms-api-call';
import { aliasRetargeted } from './alias-retargeted';
import { crossAccountKeyUse } from './cross-account-key-use';
import type { DetectionSettings, Detector, Signal } from './detector';
import { externalKeyEncryption } from './external-key-encryption';
import { grantExternalPrincipal } from './grant-external-principal';
import { importedMaterialDeleted } from './imported-material-deleted';
import { keyDeletionScheduled } from './key-deletion-scheduled';
import { keyDisabled } from './key-disabled';
import { keyMaterialImported } from './key-material-imported';
import { keyPolicyCrossAccount } from './key-policy-cross-account';
import { keyPolicyLockout } from './key-policy-lockout';
import { keyPolicyPublic } from './key-policy-public';
import { keyReplicated } from './key-replicated';
import { rootKeyUse } from './root-key-use';
import { rotationDisabled } from './rotation-disabled';

/** Every detector over API calls, explicitly. A detector not listed here does not run. */
export const detectors: readonly Detector[] = [
  keyDeletionScheduled,
  keyDisabled,
  keyPolicyPublic,
  keyPolicyCrossAccount,
  keyPolicyLockout,
  grantExternalPrincipal,
  rotationDisabled,
  importedMaterialDeleted,
  keyMaterialImported,
  aliasRetargeted,
  keyReplicated,
  crossAccountKeyUse,
  rootKeyUse,
  externalKeyEncryption,
];

/** Detectors by event name, built once: the hot path looks up, it does not scan. */
const byEventName = new Map<string, Detector[]>();
const forEveryEvent: Detector[] = [];
for (const detector of detectors) {
  for (const name of detector.appliesTo) {
    if (name === '*') forEveryEvent.push(detector);
    else byEventName.set(name, [...(byEventName.get(name) ?? []), detector]);
  }
}

export const detectSignals = (event: KmsApiCall, settings: DetectionSettings): Signal[] => {
  const signals: Signal[] = [];
  for (const detector of [...(byEventName.get(event.eventName) ?? []), ...forEveryEvent]) {
    const detection = detector.detect(event, settings);
    if (!detection) continue;
    signals.push({
      detector: detector.id,
      title: detector.title,
      severity: detection.severity ?? detector.severity,
      mitre: detector.mitre,
      keyArn: detection.keyArn,
      principal: event.principal,
      summary: detection.summary,
      evidence: detection.evidence,
      source: {
        eventId: event.eventId,
        eventName: event.eventName,
        eventTime: event.eventTime,
        region: event.region,
        accountId: event.accountId,
        sourceIp: event.sourceIp,
        userAgent: event.userAgent,
      },
    });
  }
  return signals;
};
