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
}
