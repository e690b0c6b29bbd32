import type { PlannedAction } from '../actions';
import { accountOfKey } from '../events/accounts';
import { isSamePrincipal } from '../events/principal';
import { isAwsManagedRole } from '../actions/quarantine-principal';

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
 * Why a principal cannot be isolated this way, or undefined. An assumed-role session ARN (as CloudTrail shows it) is
 * named by its role instead; kms-warden's own roles and service-linked roles are never denied or quarantined.
 */
export const principalRefusal = (principalArn: string, responderRoles: readonly string[]): string | undefined => {
  if (/^arn:aws[a-z-]*:sts::\d{12}:assumed-role\//.test(principalArn)) {
    const [, account, role] = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(principalArn) ?? [];
    return `${principalArn} is a session: name its role instead (arn:aws:iam::${account}:role/${role}, with its path if it has one)`;
  }
  if (!/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\//.test(principalArn)) return `${principalArn} is not an IAM role or user ARN`;
  if (responderRoles.some((role) => isSamePrincipal(role, principalArn))) return `${principalArn} is one of kms-warden's own roles: isolating it would stop kms-warden acting on this key`;
  if (principalArn.includes(':role/aws-service-role/')) return `${principalArn} is a service-linked role: denying it breaks the AWS service that uses the key`;
  if (isAwsManagedRole(principalArn)) return `${principalArn} is managed by AWS (IAM Identity Center): deny it in the key policy by hand if needed, and end the user's sessions in IAM Identity Center`;
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
  if (request.principalArn) steps.push({ type: 'deny-principal-in-key-policy', params: { keyArn: request.keyArn, principalArn: request.principalArn }, run: 'automatic' });
  steps.push({
    type: 'revoke-grants',
    params: { keyArn: request.keyArn, ...(request.principalArn ? { suspectArn: request.principalArn } : {}), ownAccount, trustedAccounts: [...request.trustedAccounts], revokesPerSecond: request.revokesPerSecond },
    run: 'automatic',
  });
  if (request.principalArn) {
    steps.push({ type: 'quarantine-principal', params: { principalArn: request.principalArn, sessionsIssuedBefore: request.now, responderRoles: [...request.responderRoles], ...(request.ownAccount ? { ownAccount: request.ownAccount } : {}) }, run: 'automatic' });
  }
  if (request.disable) steps.push({ type: 'disable-key', params: { keyArn: request.keyArn }, run: 'automatic', why: 'asked for by a person' });
  return steps;
};
