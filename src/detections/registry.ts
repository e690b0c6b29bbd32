import { accessDeniedBurst } from './access-denied-burst';
import { aliasRetargeted } from './alias-retargeted';
import { containmentTagChanged } from './containment-tag-changed';
import { crossAccountKeyUse } from './cross-account-key-use';
import { customKeyStoreDisconnected } from './custom-key-store-disconnected';
import type { AnyDetection } from './detection';
import { externalKeyEncryption } from './external-key-encryption';
import { grantExternalPrincipal } from './grant-external-principal';
import { grantRemoved } from './grant-removed';
import { guardDutyCredentialCompromise } from './guardduty-credential-compromise';
import { importedMaterialDeleted } from './imported-material-deleted';
import { keyDeletionScheduled } from './key-deletion-scheduled';
import { keyDisabled } from './key-disabled';
import { keyEnumeration } from './key-enumeration';
import { keyMaterialImported } from './key-material-imported';
import { keyPolicyCrossAccount } from './key-policy-cross-account';
import { keyPolicyLockout } from './key-policy-lockout';
import { keyPolicyPublic } from './key-policy-public';
import { keyReplicated } from './key-replicated';
import { newPrincipalForKey } from './new-principal-for-key';
import { newSourceForPrincipal } from './new-source-for-principal';
import { rootKeyUse } from './root-key-use';
import { rotationDisabled } from './rotation-disabled';
import { rotationNoncompliant } from './rotation-noncompliant';
import { usageSpike } from './usage-spike';

/**
 * Every detection, explicitly: one folder each, one line here. A detection not listed does not run; one listed
 * without a response does not compile (`respond` is required), nor does an id used anywhere that is not here.
 * Learning runs in this order.
 */
export const detections = [
  keyDeletionScheduled,
  keyDisabled,
  keyPolicyPublic,
  keyPolicyCrossAccount,
  keyPolicyLockout,
  grantExternalPrincipal,
  grantRemoved,
  rotationDisabled,
  importedMaterialDeleted,
  customKeyStoreDisconnected,
  keyMaterialImported,
  aliasRetargeted,
  keyReplicated,
  crossAccountKeyUse,
  rootKeyUse,
  externalKeyEncryption,
  accessDeniedBurst,
  keyEnumeration,
  newPrincipalForKey,
  newSourceForPrincipal,
  usageSpike,
  guardDutyCredentialCompromise,
  rotationNoncompliant,
  containmentTagChanged,
] as const satisfies readonly AnyDetection[];

/** The id of a registered detection: a typo, or an id no detection has, does not compile. */
export type DetectionId = (typeof detections)[number]['id'];

const byId: ReadonlyMap<string, AnyDetection> = new Map(detections.map((detection) => [detection.id, detection]));

/** A detection by its id. Incidents stored by an older version may name one that is gone: undefined then. */
export const detectionOf = (id: string): AnyDetection | undefined => byId.get(id);

export const isDetectionId = (id: string): id is DetectionId => byId.has(id);

/** The family of a detection by its id; an id no detection has (an incident stored by an older version) is its own. */
export const familyOf = (id: string): string => byId.get(id)?.family ?? id;
