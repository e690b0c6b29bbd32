import type { Incident } from '../incidents/incident';
import { openDecisions } from '../incidents/lifecycle';
import { signToken, type ApprovalAction } from './approval-token';

export interface DecisionLink {
  action: ApprovalAction;
  url: string;
}

export interface LinkSigner {
  /** The approval endpoint's URL up to and including /approvals/. */
  baseUrl: string;
  secret: { bytes(): Promise<Buffer> };
  ttlSeconds: number;
}

/** Links that ask for a decision (an incident waits for them), as opposed to release, which is always there. */
export const asksForDecision = (links: readonly DecisionLink[]): boolean =>
  links.some((link) => link.action !== 'release' && link.action !== 'reject');

/**
 * The decisions an incident can still take, as signed links: re-key a key that may be compromised, disable a key
 * whose disabling was only offered (and not yet decided), release a containment that applied something reversible.
 * An incident past a decision offers it no more: a message updated after approval carries no Approve button.
 */
export const decisionLinks = async (
  incident: Incident,
  signer: LinkSigner,
  now: Date,
  options: { forSlack?: boolean } = {},
): Promise<DecisionLink[]> => {
  // The incident lifecycle's one definition of the decisions still open; those that carry a link of their own.
  const wanted: ApprovalAction[] = openDecisions(incident)
    .filter((open) => open.linked)
    .map((open) => open.action);
  if (wanted.length === 0) return [];
  const secret = await signer.secret.bytes();
  const expiresAt = Math.floor(now.getTime() / 1000) + signer.ttlSeconds;
  return wanted.map((action) => ({
    action,
    url: `${signer.baseUrl}${signToken({ incidentId: incident.id, action, expiresAt, ...(options.forSlack ? { forSlack: true as const } : {}) }, secret)}`,
  }));
};
