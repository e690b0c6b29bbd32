import { actions, type ActionType } from '../actions';
import type { Incident } from '../incidents/incident';
import { signToken, type ApprovalAction } from './token';

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

/**
 * The decisions an incident can take next, as signed links: re-key a key that may be compromised, disable a key
 * whose disabling was only offered, release a containment that applied something reversible.
 */
export const decisionLinks = async (incident: Incident, signer: LinkSigner, now: Date): Promise<DecisionLink[]> => {
  const wanted: ApprovalAction[] = [];
  const results = incident.results ?? [];
  if (incident.keyArn) wanted.push('approve-rekey');
  if (incident.plan.some((step, i) => step.type === 'disable-key' && results[i]?.outcome === 'not-run')) wanted.push('disable-key');
  if (incident.plan.some((step, i) => results[i]?.outcome === 'applied' && actions[step.type as ActionType].reversible)) wanted.push('release');
  if (wanted.length === 0) return [];
  const secret = await signer.secret.bytes();
  const expiresAt = Math.floor(now.getTime() / 1000) + signer.ttlSeconds;
  return wanted.map((action) => ({ action, url: `${signer.baseUrl}${signToken({ incidentId: incident.id, action, expiresAt }, secret)}` }));
};
