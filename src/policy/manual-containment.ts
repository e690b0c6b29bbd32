import type { PlannedAction } from '../actions';
import { accountOfKey } from '../events/accounts';

export interface ManualContainmentRequest {
  keyArn: string;
  /** The principal to isolate; without one, only grants held outside the account are revoked. */
  principalArn?: string | undefined;
  /** Disable the key too: every workload using it fails until it is enabled again. */
  disable: boolean;
  trustedAccounts: readonly string[];
  responderRolePath: string;
  revokesPerSecond: number;
  now: string;
}

/**
 * The manual isolation step a person asks for from the CLI, as a plan (plain data): deny the principal in the key
 * policy, revoke its grants and grants held outside the account, quarantine the principal, and disable the key if
 * asked. The same actions, with the same guards, as automatic containment.
 */
export const planManualContainment = (request: ManualContainmentRequest): PlannedAction[] => {
  const ownAccount = accountOfKey(request.keyArn) ?? 'unknown';
  const steps: PlannedAction[] = [];
  if (request.principalArn) steps.push({ type: 'deny-principal-in-key-policy', params: { keyArn: request.keyArn, principalArn: request.principalArn }, run: 'automatic' });
  steps.push({
    type: 'revoke-grants',
    params: { keyArn: request.keyArn, ...(request.principalArn ? { suspectArn: request.principalArn } : {}), ownAccount, trustedAccounts: [...request.trustedAccounts], revokesPerSecond: request.revokesPerSecond },
    run: 'automatic',
  });
  if (request.principalArn) {
    steps.push({ type: 'quarantine-principal', params: { principalArn: request.principalArn, sessionsIssuedBefore: request.now, responderRolePath: request.responderRolePath }, run: 'automatic' });
  }
  if (request.disable) steps.push({ type: 'disable-key', params: { keyArn: request.keyArn }, run: 'automatic', why: 'asked for by a person' });
  return steps;
};
