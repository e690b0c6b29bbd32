/** The building blocks detections' playbooks are made of: isolating a suspect, restoring a policy, rotating again. */
import type { PlannedAction } from '../actions';
import type { PlanningFacts, Signal } from './detection';
import { accountOfKey } from '../events/accounts';
import { policyRefOf } from '../state/policy-texts';
import { guardPrincipal, type Permission } from '../actions/principal-guard';
import { isSamePrincipal } from '../events/principal';

export const suspectIsIam = (signal: Signal) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\//.test(signal.principal.arn);

export type Run = 'automatic' | 'approval';

export const denyStep = (
  keyArn: string,
  suspect: string,
  run: Run,
  facts: Pick<PlanningFacts, 'responderRoles' | 'breakGlass'>,
): PlannedAction => ({
  type: 'deny-principal-in-key-policy',
  params: {
    keyArn,
    principalArn: suspect,
    responderRoles: [...facts.responderRoles],
    ...(facts.breakGlass?.length ? { breakGlass: [...facts.breakGlass] } : {}),
  },
  run,
});

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

export const isFederatedSession = (arn: string) => /^arn:aws[a-z-]*:sts::\d{12}:federated-user\//.test(arn);

/** The principal guard's answer for a suspect, in the planning facts' terms. */
export const guardOf = (suspect: string, facts: PlanningFacts) =>
  guardPrincipal(suspect, {
    responderRoles: facts.responderRoles,
    breakGlass: facts.breakGlass,
    ownAccount: facts.ownAccount,
  });

const quarantineStep = (principalArn: string, facts: PlanningFacts, run: Run, why?: string): PlannedAction => ({
  type: 'quarantine-principal',
  params: {
    principalArn,
    sessionsIssuedBefore: facts.now,
    responderRoles: [...facts.responderRoles],
    ...(facts.breakGlass?.length ? { breakGlass: [...facts.breakGlass] } : {}),
    ...(facts.ownAccount ? { ownAccount: facts.ownAccount } : {}),
  },
  run,
  ...(why ? { why } : {}),
});

export const askAPerson = (what: string, why: string): PlannedAction => ({
  type: 'ask-a-person',
  params: { what, why },
  run: 'automatic',
});

/**
 * Isolate the suspect: deny it the key, take its grants, cut its sessions. The surgical steps, each as the principal
 * guard allows (src/actions/principal-guard.ts, which the actions ask again when they apply): kms-warden's own roles
 * are left alone; a service-linked role acts for an AWS service, so denying it is a person's call; an IAM Identity
 * Center role is contained through the key policy and a person ends the user's sessions; a principal of another
 * account is denied here and quarantined by its own account's people.
 */
export const isolate = (signal: Signal, facts: PlanningFacts, run: Run = 'automatic'): PlannedAction[] => {
  const suspect = signal.principal.arn;
  const guard = guardOf(suspect, facts);
  const runOf = (may: Permission): Run => (may === 'approval' ? 'approval' : run);
  const steps: PlannedAction[] = [];
  // kms-warden never contains itself (that would stop it acting), but a call it did not make under its own role means
  // its credentials are in other hands: the plan is never empty, so the incident never reads contained on nothing.
  if (guard.kind === 'responder')
    return [
      askAPerson(
        `check whether kms-warden made this call as ${suspect} (its own actions are in the incident log); if it did not, its role's credentials are in other hands: revoke the role's sessions (IAM, the role, Revoke active sessions) and find where they leaked`,
        "kms-warden's own role is never contained automatically: it would stop kms-warden acting",
      ),
    ];
  const denies =
    signal.keyArn !== undefined &&
    guard.deny.may !== 'never' &&
    (suspectIsIam(signal) || guard.kind === 'federated-user');
  if (denies) {
    const denyRun = runOf(guard.deny.may);
    steps.push(
      denyStep(signal.keyArn!, suspect, denyRun, facts),
      ...(guard.kind === 'service-linked-role' || guard.kind === 'break-glass'
        ? []
        : [revokeStep(signal.keyArn!, suspect, facts, denyRun)]),
    );
  }
  switch (guard.kind) {
    case 'break-glass':
      steps.push(
        askAPerson(
          `check with the holders of the break-glass principal ${suspect} whether this was theirs; if not, rotate its credentials and review what it did (kms-warden offered its deny in the key policy and will not quarantine it)`,
          'break-glass principals recover the account: kms-warden never contains them on its own say',
        ),
      );
      return steps;
    case 'service-linked-role':
      steps.push(
        askAPerson(
          `find which resource of the AWS service behind ${suspect} made this call (CloudTrail), and stop it there`,
          'a service-linked role acts for an AWS service and cannot be changed; denying it may break that service',
        ),
      );
      return steps;
    case 'federated-user': {
      // A GetFederationToken session: denied by its own ARN; its broker user is everyone's federation, so cutting the
      // broker off is offered, never done on its own.
      const broker = signal.principal.issuerArn;
      if (broker && guardOf(broker, facts).quarantine.may !== 'never') {
        steps.push(
          quarantineStep(
            broker,
            facts,
            'approval',
            `${broker} issues every federated session: quarantining it cuts them all off, and the broker itself`,
          ),
        );
      }
      steps.push(
        askAPerson(
          `find who holds the federated session ${suspect} (issued by ${broker ?? 'its broker user'} with GetFederationToken; it lasts up to 36 hours) and stop it at the broker`,
          'a federated session cannot be ended on its own: kms-warden denied it in the key policy',
        ),
      );
      return steps;
    }
    case 'aws-managed-role':
      steps.push(
        askAPerson(
          `end the sessions of the person behind ${signal.principal.sessionName ?? suspect} in IAM Identity Center (Users, the user, Active sessions, delete), and remove or narrow their permission set assignment`,
          'IAM Identity Center roles are managed by AWS and refuse policy changes; kms-warden denied the role in the key policy instead',
        ),
      );
      return steps;
    default:
      break;
  }
  // Root cannot be quarantined with a policy: the guard offers it to a person.
  if (guard.quarantine.may !== 'never' && (suspectIsIam(signal) || guard.kind === 'root'))
    steps.push(quarantineStep(suspect, facts, runOf(guard.quarantine.may)));
  else if (guard.ownAccount === false && suspectIsIam(signal)) {
    steps.push(
      askAPerson(
        `have the owners of account ${suspect.split(':')[4]} revoke the credentials of ${suspect} and review what it did there`,
        guard.quarantine.why ?? 'it belongs to another account',
      ),
    );
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
  if (
    history?.previous &&
    history.current.eventId === signal.source.eventId &&
    !isSamePrincipal(history.previous.changedBy, signal.principal.arn)
  ) {
    return [
      {
        type: 'restore-key-policy',
        params: {
          keyArn: signal.keyArn,
          policyRef: policyRefOf(history.previous.policy),
          replacedPolicyRef: policyRefOf(history.current.policy),
        },
        run: 'automatic',
      },
    ];
  }
  if (!closeOpenings) return [];
  const ownAccount = accountOfKey(signal.keyArn);
  return ownAccount
    ? [
        {
          type: 'close-open-key-policy',
          params: { keyArn: signal.keyArn, ownAccount, trustedAccounts: [...facts.trustedAccounts] },
          run: 'automatic',
        },
      ]
    : [];
};

export const rotateAgain = (signal: Signal): PlannedAction[] =>
  signal.keyArn ? [{ type: 'enable-key-rotation', params: { keyArn: signal.keyArn }, run: 'automatic' }] : [];
