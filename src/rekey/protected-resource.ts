/**
 * What re-keying moves: the resources an old key protects, one service adapter each (src/aws/rekey), and what
 * became of each. Plain data: the workflow passes it between states and records it on the incident.
 */

export type ServiceName = 'secretsmanager' | 'ssm' | 's3' | 'dynamodb' | 'lambda' | 'ebs' | 'rds' | 'efs' | 'redshift';

/** The old key as resources may name it: by ARN, by key id, or by one of its aliases (name or ARN). */
export interface OldKey {
  keyArn: string;
  /** alias/... names the key had when it was snapshotted (they point at the replacement by the time resources move). */
  aliases: string[];
}

/** One thing encrypted under the old key. `id` is unique within its service and Region (a name or an ARN). */
export interface ProtectedResource {
  service: ServiceName;
  /**
   * secret, parameter, bucket, object, table, function, volume, snapshot, db-instance, db-cluster, file-system,
   * cluster...
   */
  kind: string;
  id: string;
  region: string;
  /** What people need to recognise it, and what re-encrypting it needs to know (sizes, storage class...). */
  detail?: Record<string, string | number | boolean>;
}

export type ReEncryptOutcome =
  /** Now under the new key. `notes` say what the move could not cover (older versions, history...). */
  | { status: 're-encrypted'; detail: string; notes?: string[] }
  /** Cannot move without a person: a cutover, a confirmation, a job to track. `instructions` say exactly what to do. */
  | { status: 'needs-human'; detail: string; instructions: string[] }
  /** Nothing to do: already on the new key, or gone. */
  | { status: 'skipped'; detail: string };

/** One service's part of re-keying. AWS calls live in the adapter; the workflow only sees this. */
export interface ServiceReEncrypter {
  service: ServiceName;
  /** Every IAM action inventory and reEncrypt may call; the re-key function's role is checked against these. */
  iamActions: readonly string[];
  /** The read-only actions inventory alone calls: the planning function's role is checked against these. */
  inventoryIamActions: readonly string[];
  /** The resources of this service in `region` whose configured key is the old one (by ARN, id or alias). */
  inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]>;
  /**
   * Moves one resource to the new key. Idempotent: a resource already on the new key is 'skipped', so a retried or
   * resumed run never does the work twice.
   */
  reEncrypt(resource: ProtectedResource, newKeyArn: string, oldKey: OldKey): Promise<ReEncryptOutcome>;
}

const keyIdOf = (keyArn: string): string => keyArn.slice(keyArn.lastIndexOf('/') + 1);

/**
 * Whether a key reference found on a resource names the old key: its ARN, its bare id, or one of its aliases as a
 * name (alias/x) or an ARN (arn:...:alias/x). A resource configured with an alias is moved too: the alias now points
 * at the replacement, but what was encrypted before still needs the old key.
 */
export const namesOldKey = (reference: string | undefined, oldKey: OldKey): boolean => {
  if (!reference) return false;
  if (reference === oldKey.keyArn || reference === keyIdOf(oldKey.keyArn)) return true;
  const alias = reference.startsWith('arn:') ? reference.slice(reference.indexOf(':alias/') + 1) : reference;
  return reference.includes('alias/') && oldKey.aliases.includes(alias);
};

/** Whether a reference names this key itself, by ARN or id (the new key: it has no aliases of its own yet). */
export const namesKey = (reference: string | undefined, keyArn: string): boolean =>
  namesOldKey(reference, { keyArn, aliases: [] });
