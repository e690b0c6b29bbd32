import type { PlannedAction } from '../actions';
import { accountOfKey } from '../events/accounts';
import { guardPrincipal } from '../actions/principal-guard';

export interface ManualContainmentRequest {
  keyArn: string;
  /** The principal to isolate; without one, only grants held outside the account are revoked. */
  principalArn?: string | undefined;
  /** Disable the key too: every workload using it fails until it is enabled again. */
  disable: boolean;
  trustedAccounts: readonly string[];
  responderRoles: readonly string[];
  ownAccount: string | undefined;
  revokesPerSecond: number;
  now: string;
}

/**
 * Why a principal cannot be isolated this way, or undefined: the principal guard's answer. A person asks for the
 * whole isolation (deny, grants, quarantine), so a principal of this account that kms-warden may not both deny and
 * quarantine on its own is refused with the guard's reason rather than half isolated: kms-warden's own roles,
 * service-linked and IAM Identity Center roles, the root user, federated sessions, and sessions (named by their role
 * instead). A principal of another account is denied in the key policy here; its quarantine step says why not.
 */
export const principalRefusal = (
  principalArn: string,
  responderRoles: readonly string[],
  ownAccount?: string,
  breakGlass: readonly string[] = [],
): string | undefined => {
  const guard = guardPrincipal(principalArn, { responderRoles, ownAccount, breakGlass });
  if (guard.deny.may !== 'automatic') return guard.deny.why;
  if (guard.quarantine.may !== 'automatic' && guard.ownAccount !== false) return guard.quarantine.why;
  return undefined;
};

/**
 * The manual isolation step a person asks for from the CLI, as a plan (plain data): deny the principal in the key
 * policy, revoke its grants and grants held outside the account, quarantine the principal, and disable the key if
 * asked. The same actions, with the same guards, as automatic containment.
 */
export const planManualContainment = (request: ManualContainmentRequest): PlannedAction[] => {
  const ownAccount = accountOfKey(request.keyArn) ?? 'unknown';
  const steps: PlannedAction[] = [];
  if (request.principalArn) {
    steps.push({
      type: 'deny-principal-in-key-policy',
      params: {
        keyArn: request.keyArn,
        principalArn: request.principalArn,
        responderRoles: [...request.responderRoles],
      },
      run: 'automatic',
    });
  }
  steps.push({
    type: 'revoke-grants',
    params: {
      keyArn: request.keyArn,
      ...(request.principalArn ? { suspectArn: request.principalArn } : {}),
      ownAccount,
      trustedAccounts: [...request.trustedAccounts],
      revokesPerSecond: request.revokesPerSecond,
    },
    run: 'automatic',
  });
  if (request.principalArn) {
    steps.push({
      type: 'quarantine-principal',
      params: {
        principalArn: request.principalArn,
        sessionsIssuedBefore: request.now,
        responderRoles: [...request.responderRoles],
        ...(request.ownAccount ? { ownAccount: request.ownAccount } : {}),
      },
      run: 'automatic',
    });
  }
  if (request.disable)
    steps.push({
      type: 'disable-key',
      params: { keyArn: request.keyArn },
      run: 'automatic',
      why: 'asked for by a person',
    });
  return steps;
};
