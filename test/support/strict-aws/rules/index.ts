import { dynamodbExpressionLimits } from './dynamodb-expression-limits';
import { dynamodbTransactionLimits } from './dynamodb-transaction-limits';
import { iamAttachedPolicies } from './iam-attached-policies';
import { iamInlinePolicySize } from './iam-inline-policy-size';
import { iamProtectedRoles } from './iam-protected-roles';
import { kmsAwsManagedKeys } from './kms-aws-managed-keys';
import { kmsCustomKeyStoreKeys } from './kms-custom-key-store-keys';
import { kmsKeyPolicyElements } from './kms-key-policy-elements';
import { kmsKeyPolicyPrincipals } from './kms-key-policy-principals';
import { kmsKeyPolicySize } from './kms-key-policy-size';
import { kmsLockoutSafetyCheck } from './kms-lockout-safety-check';
import { kmsPendingReplicaDeletion } from './kms-pending-replica-deletion';
import { kmsRotationUnsupported } from './kms-rotation-unsupported';
import { kmsTagsPerKey } from './kms-tags-per-key';
import type { StrictRule } from './rule';
import { secretsManagerManagedSecrets } from './secretsmanager-managed-secrets';
import { snsPublishLimits } from './sns-publish-limits';
import { organizationsManagementReads } from './organizations-management-reads';
import { stsAssumeRoleTrust } from './sts-assume-role-trust';
import { cloudFormationStackSetAutoDeployment } from './cloudformation-stackset-auto-deployment';

/** Every rule of the strict layer, in the order the README lists them. */
export const strictRules: readonly StrictRule[] = [
  kmsKeyPolicySize,
  kmsKeyPolicyElements,
  kmsKeyPolicyPrincipals,
  kmsLockoutSafetyCheck,
  kmsTagsPerKey,
  kmsPendingReplicaDeletion,
  kmsRotationUnsupported,
  kmsCustomKeyStoreKeys,
  kmsAwsManagedKeys,
  iamProtectedRoles,
  iamInlinePolicySize,
  iamAttachedPolicies,
  secretsManagerManagedSecrets,
  snsPublishLimits,
  dynamodbExpressionLimits,
  dynamodbTransactionLimits,
  stsAssumeRoleTrust,
  organizationsManagementReads,
  cloudFormationStackSetAutoDeployment,
];
