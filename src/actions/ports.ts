/**
 * What the actions need from AWS, and nothing more: the methods apply and undo call. The adapters in src/aws
 * implement these (KmsKeys, IamPrincipals); tests pass fakes. Errors they understand come back as the named errors
 * of src/errors.ts, the rest as the SDK threw them (src/actions/error-kinds.ts sorts them).
 */

export interface KeyStatus {
  state: string;
  deletionDate: string | undefined;
  description?: string | undefined;
  /** AWS for AWS managed keys (alias/aws/*): nobody but their service may change them. */
  keyManager?: string | undefined;
  /** A multi-Region key's role, and its replicas (for a primary) in other Regions. */
  multiRegion?: { type: string; primary?: string | undefined; replicas: string[] } | undefined;
}

/** A grant as ListGrants returns it, reduced to what revoking and recreating it needs. */
export interface Grant {
  grantId: string;
  name?: string | undefined;
  granteePrincipal?: string | undefined;
  retiringPrincipal?: string | undefined;
  operations: string[];
  /** KMS's grant constraints, as KMS spells them. */
  constraints?:
    | {
        EncryptionContextSubset?: Record<string, string> | undefined;
        EncryptionContextEquals?: Record<string, string> | undefined;
      }
    | undefined;
  issuingAccount?: string | undefined;
}

/** The KMS calls the actions make, each on a key named by its ARN. */
export interface KeyOperations {
  status(keyArn: string): Promise<KeyStatus>;
  cancelKeyDeletion(keyArn: string): Promise<void>;
  enableKey(keyArn: string): Promise<void>;
  disableKey(keyArn: string): Promise<void>;
  tags(keyArn: string): Promise<Record<string, string>>;
  tagKey(keyArn: string, tags: Record<string, string>): Promise<void>;
  untagKey(keyArn: string, tagKeys: string[]): Promise<void>;
  rotationEnabled(keyArn: string): Promise<boolean>;
  enableKeyRotation(keyArn: string): Promise<void>;
  disableKeyRotation(keyArn: string): Promise<void>;
  /** The key policy as its JSON text. */
  keyPolicy(keyArn: string): Promise<string>;
  putKeyPolicy(keyArn: string, policy: string): Promise<void>;
  grants(keyArn: string): Promise<Grant[]>;
  revokeGrant(keyArn: string, grantId: string): Promise<void>;
  /** Creates a grant like one that was revoked; returns the new grant id. */
  createGrant(keyArn: string, grant: Omit<Grant, 'grantId' | 'issuingAccount'>): Promise<string>;
}

export type IamPrincipalKind = 'role' | 'user';

/** The IAM calls quarantine makes, on roles and users of kms-warden's own account, named by name. */
export interface PrincipalOperations {
  /** The role or user's ARN (with its path), or undefined when there is none of that name. */
  arnOf(kind: IamPrincipalKind, name: string): Promise<string | undefined>;
  inlinePolicy(kind: IamPrincipalKind, name: string, policyName: string): Promise<string | undefined>;
  putInlinePolicy(kind: IamPrincipalKind, name: string, policyName: string, document: string): Promise<void>;
  deleteInlinePolicy(kind: IamPrincipalKind, name: string, policyName: string): Promise<void>;
  userHasManagedPolicy(userName: string, policyArn: string): Promise<boolean>;
  attachUserPolicy(userName: string, policyArn: string): Promise<void>;
  detachUserPolicy(userName: string, policyArn: string): Promise<void>;
  activeAccessKeys(userName: string): Promise<string[]>;
  setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void>;
}
