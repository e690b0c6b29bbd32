import { actions, type ActionType } from '../actions';
import type { Incident } from '../incidents/incident';
import { canMove, isActive } from '../incidents/lifecycle';
import { signToken, type ApprovalAction } from './token';
import { changedSomething } from '../actions/action';

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

const rekeyWorthy = new Set(['high', 'critical']);

/** Links that ask for a decision (an incident waits for them), as opposed to release, which is always there. */
export const asksForDecision = (links: readonly DecisionLink[]): boolean => links.some((link) => link.action !== 'release' && link.action !== 'reject');

/**
 * The decisions an incident can still take, as signed links: re-key a key that may be compromised, disable a key
 * whose disabling was only offered (and not yet decided), release a containment that applied something reversible.
 * An incident past a decision offers it no more: a message updated after approval carries no Approve button.
 */
export const decisionLinks = async (incident: Incident, signer: LinkSigner, now: Date): Promise<DecisionLink[]> => {
  const wanted: ApprovalAction[] = [];
  const results = incident.results ?? [];
  const decided = new Set((incident.decisions ?? []).map((decision) => decision.action));
  // Re-keying answers a key that may be in someone else's hands: offered for high and critical signals, not for a
  // dry run or a low-severity hygiene finding.
  if (incident.keyArn && !incident.dryRun && rekeyWorthy.has(incident.signal.severity) && canMove(incident.status, 'approved')) wanted.push('approve-rekey');
  if (isActive(incident.status) && !decided.has('disable-key') && incident.plan.some((step, i) => step.type === 'disable-key' && results[i]?.outcome === 'not-run')) {
    wanted.push('disable-key');
  }
  if (incident.status === 're-keyed' && incident.rekey?.deletionRequestedAt && !decided.has('approve-deletion')) wanted.push('approve-deletion');
  if (canMove(incident.status, 'released') && incident.plan.some((step, i) => changedSomething(results[i]) && actions[step.type as ActionType].reversible)) {
    wanted.push('release');
  }
  if (wanted.length === 0) return [];
  const secret = await signer.secret.bytes();
  const expiresAt = Math.floor(now.getTime() / 1000) + signer.ttlSeconds;
  return wanted.map((action) => ({ action, url: `${signer.baseUrl}${signToken({ incidentId: incident.id, action, expiresAt }, secret)}` }));
};
