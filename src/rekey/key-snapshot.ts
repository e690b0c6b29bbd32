import { denySidPrefix } from '../actions/deny-principal-in-key-policy';

/** What the replacement key copies from the old one, read before anything changes. */
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

/** The policy as its owners wrote it: kms-warden's containment statements are not carried to the new key. */
export const policyWithoutContainment = (policy: string): string => {
  const parsed = JSON.parse(policy) as { Statement?: Array<{ Sid?: string }> | { Sid?: string } };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  return JSON.stringify({ ...parsed, Statement: statements.filter((statement) => !statement.Sid?.startsWith(denySidPrefix)) });
};

/** Tags the replacement carries: the owners' own, and two of kms-warden's so a resumed run finds the key it made. */
export const replacementTags = (snapshot: KeySnapshot, incidentId: string): Record<string, string> => ({
  ...snapshot.tags,
  [replacesTag]: snapshot.keyArn,
  [incidentTag]: incidentId,
});

export const replacesTag = 'kms-warden:replaces';
export const incidentTag = 'kms-warden:incident';
