/** The building blocks detections' playbooks are made of: isolating a suspect, restoring a policy, rotating again. */
import type { PlannedAction } from '../actions';
import type { PlanningFacts, Signal } from './detection';
import { accountOfKey } from '../events/accounts';
import { policyRefOf } from '../state/policy-texts';
import { isAwsManagedRole } from '../actions/quarantine-principal';
import { isSamePrincipal } from '../events/principal';

export const suspectIsIam = (signal: Signal) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\//.test(signal.principal.arn);

export type Run = 'automatic' | 'approval';

export const denyStep = (keyArn: string, suspect: string, run: Run): PlannedAction => ({ type: 'deny-principal-in-key-policy', params: { keyArn, principalArn: suspect }, run });

export const revokeStep = (keyArn: string, suspect: string, facts: PlanningFacts, run: Run): PlannedAction => ({
  type: 'revoke-grants',
  params: {
    keyArn,
    suspectArn: suspect,
    ownAccount: accountOfKey(keyArn) ?? '',
    trustedAccounts: [...facts.trustedAccounts],
    ...(facts.revokesPerSecond ? { revokesPerSecond: facts.revokesPerSecond } : {}),
  },
  run,
});

const isServiceLinked = (arn: string) => /:role\/aws-service-role\//.test(arn);
export const isFederatedSession = (arn: string) => /^arn:aws[a-z-]*:sts::\d{12}:federated-user\//.test(arn);

/**
 * Isolate the suspect: deny it the key, take its grants, cut its sessions. The surgical steps. A role AWS manages
 * cannot be changed: an IAM Identity Center role is contained through the key policy and a person ends the user's
 * sessions; a service-linked role acts for an AWS service, so denying it is a person's call.
 */
export const isolate = (signal: Signal, facts: PlanningFacts, run: Run = 'automatic'): PlannedAction[] => {
  const steps: PlannedAction[] = [];
  const suspect = signal.principal.arn;
  if (isServiceLinked(suspect)) {
    if (signal.keyArn) steps.push(denyStep(signal.keyArn, suspect, 'approval'));
    steps.push({
      type: 'ask-a-person',
      params: { what: `find which resource of the AWS service behind ${suspect} made this call (CloudTrail), and stop it there`, why: 'a service-linked role acts for an AWS service and cannot be changed; denying it may break that service' },
      run: 'automatic',
    });
    return steps;
  }
  if (signal.principal.kind === 'federated-user' && isFederatedSession(suspect)) {
    // A GetFederationToken session: denied by its own ARN; its broker user is everyone's federation, so cutting the
    // broker off is offered, never done on its own.
    if (signal.keyArn) steps.push(denyStep(signal.keyArn, suspect, run), revokeStep(signal.keyArn, suspect, facts, run));
    const broker = signal.principal.issuerArn;
    if (broker) steps.push({ type: 'quarantine-principal', params: { principalArn: broker, sessionsIssuedBefore: facts.now, responderRoles: [...facts.responderRoles], ...(facts.ownAccount ? { ownAccount: facts.ownAccount } : {}) }, run: 'approval', why: `${broker} issues every federated session: quarantining it cuts them all off, and the broker itself` });
    steps.push({
      type: 'ask-a-person',
      params: {
        what: `find who holds the federated session ${suspect} (issued by ${broker ?? 'its broker user'} with GetFederationToken; it lasts up to 36 hours) and stop it at the broker`,
        why: 'a federated session cannot be ended on its own: kms-warden denied it in the key policy',
      },
      run: 'automatic',
    });
    return steps;
  }
  if (signal.keyArn && suspectIsIam(signal)) steps.push(denyStep(signal.keyArn, suspect, run), revokeStep(signal.keyArn, suspect, facts, run));
  if (signal.principal.kind === 'identity-center' || isAwsManagedRole(suspect)) {
    steps.push({
      type: 'ask-a-person',
      params: {
        what: `end the sessions of the person behind ${signal.principal.sessionName ?? suspect} in IAM Identity Center (Users, the user, Active sessions, delete), and remove or narrow their permission set assignment`,
        why: 'IAM Identity Center roles are managed by AWS and refuse policy changes; kms-warden denied the role in the key policy instead',
      },
      run: 'automatic',
    });
    return steps;
  }
  if (suspectIsIam(signal) || signal.principal.kind === 'root') {
    steps.push({
      type: 'quarantine-principal',
      params: { principalArn: suspect, sessionsIssuedBefore: facts.now, responderRoles: [...facts.responderRoles], ...(facts.ownAccount ? { ownAccount: facts.ownAccount } : {}) },
      // Root cannot be quarantined with a policy: it is always a person's call.
      run: signal.principal.kind === 'root' ? 'approval' : run,
    });
  }
  return steps;
};

export const byKeyAdministrator = (signal: Signal) => signal.evidence.callerIsKeyAdministrator === true;

/**
 * The policy before the suspect's PutKeyPolicy, when kms-warden saw both (by reference: the texts are stored apart,
 * see respond-to-signals). Otherwise, the openings are taken out of the policy as it stands: a key made before
 * kms-warden was deployed has no earlier policy known, and must not stay open while the incident says contained.
 */
export const restorePolicy = (signal: Signal, facts: PlanningFacts, { closeOpenings = true } = {}): PlannedAction[] => {
  const history = facts.policyHistory;
  if (!signal.keyArn) return [];
  // Not back to a policy the suspect set too (a burst of PutKeyPolicy calls): that one is no better.
  if (history?.previous && history.current.eventId === signal.source.eventId && !isSamePrincipal(history.previous.changedBy, signal.principal.arn)) {
    return [{ type: 'restore-key-policy', params: { keyArn: signal.keyArn, policyRef: policyRefOf(history.previous.policy), replacedPolicyRef: policyRefOf(history.current.policy) }, run: 'automatic' }];
  }
  if (!closeOpenings) return [];
  const ownAccount = accountOfKey(signal.keyArn);
  return ownAccount ? [{ type: 'close-open-key-policy', params: { keyArn: signal.keyArn, ownAccount, trustedAccounts: [...facts.trustedAccounts] }, run: 'automatic' }] : [];
};

export const rotateAgain = (signal: Signal): PlannedAction[] =>
  signal.keyArn ? [{ type: 'enable-key-rotation', params: { keyArn: signal.keyArn }, run: 'automatic' }] : [];

