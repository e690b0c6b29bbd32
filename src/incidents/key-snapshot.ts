/**
 * What the replacement key copies from the old one, read before anything changes. Kept on the incident's re-key
 * progress (src/incidents/incident.ts); src/rekey/key-snapshot.ts takes and uses it.
 */
export interface KeySnapshot {
  keyArn: string;
  region: string;
  /** The key policy without kms-warden's own deny statements: the replacement starts as the owners set it up. */
  policy: string;
  tags: Record<string, string>;
  description: string;
  keySpec: string;
  keyUsage: string;
  origin: string;
  multiRegion: boolean;
  rotationEnabled: boolean;
  aliases: string[];
  state: string;
  /**
   * A multi-Region key: the primary's ARN (the key itself, or another Region's when this key is a replica) and the
   * primary's replicas, each read in its own Region (policy, description and tags are not shared between them).
   */
  primaryKeyArn?: string;
  replicas?: ReplicaSnapshot[];
}

/**
 * One replica of a multi-Region primary, as the replacement's replica in the same Region copies it. Its policy is read
 * when the replica is made, not carried here: the workflow's state carries the snapshot, and a few policies of up to
 * 32 KB each would pass Step Functions' 256 KB.
 */
export interface ReplicaSnapshot {
  keyArn: string;
  region: string;
  description: string;
  tags: Record<string, string>;
  aliases: string[];
}
