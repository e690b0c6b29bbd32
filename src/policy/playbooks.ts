import type { PlannedAction } from '../actions';
import type { Signal } from '../detectors/detector';
import { accountOfKey } from '../events/accounts';
import type { KeyPolicyHistory } from '../state/key-journal';
import { policyRefOf } from '../state/policy-texts';
import type { KeyFacts } from './key-facts';
import type { PriorKeyState } from './prior-key-state';
import { isAwsManagedRole } from '../actions/quarantine-principal';
import { isSamePrincipal } from '../events/principal';

/** What the policy knows beyond the signal when it plans. */
export interface PlanningFacts {
  priorKeyState: PriorKeyState;
  policyHistory?: KeyPolicyHistory | undefined;
  key: KeyFacts;
  trustedAccounts: readonly string[];
  /** kms-warden's own roles, never contained. */
  responderRoles: readonly string[];
  /** The account kms-warden acts in. */
  ownAccount: string | undefined;
  /** When the plan is made: sessions issued before it are cut off by quarantine. */
  now: string;
  revokesPerSecond?: number;
  /** For signals about a principal rather than a key (GuardDuty): the keys it used recently, with their modes. */
  keysUsed?: Array<{ keyArn: string; key: KeyFacts }>;
  /** The kms-warden tags as key administrators last set them (null: removed), for putting changed ones back. */
  administratorTags?: Record<string, string | null>;
  /** An AWS managed key: its service owns it, and nothing is done to it. */
  awsManagedKey?: boolean;
  /** GuardDuty severity from which quarantine runs on its own (thresholds.guardDutyQuarantineSeverity). */
  guardDutyQuarantineSeverity?: number;
}

export type Playbook = (signal: Signal, facts: PlanningFacts) => PlannedAction[];

const suspectIsIam = (signal: Signal) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\//.test(signal.principal.arn);

type Run = 'automatic' | 'approval';

const denyStep = (keyArn: string, suspect: string, run: Run): PlannedAction => ({ type: 'deny-principal-in-key-policy', params: { keyArn, principalArn: suspect }, run });

const revokeStep = (keyArn: string, suspect: string, facts: PlanningFacts, run: Run): PlannedAction => ({
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
const isFederatedSession = (arn: string) => /^arn:aws[a-z-]*:sts::\d{12}:federated-user\//.test(arn);

/**
 * Isolate the suspect: deny it the key, take its grants, cut its sessions. The surgical steps. A role AWS manages
 * cannot be changed: an IAM Identity Center role is contained through the key policy and a person ends the user's
 * sessions; a service-linked role acts for an AWS service, so denying it is a person's call.
 */
const isolate = (signal: Signal, facts: PlanningFacts, run: Run = 'automatic'): PlannedAction[] => {
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

/**
 * A leaked credential: cut its sessions first, then shut it out of every key it used recently, each key as its
 * mode says (observe: offered; lockdown: also disabled unless protected).
 */
const containLeakedCredential: Playbook = (signal, facts) => {
  // Below GuardDuty's High (by default), a finding is likelier wrong: the quarantine is offered, not applied.
  const score = Number(signal.evidence.guardDutySeverity ?? 10);
  const quarantineRun: Run = score >= (facts.guardDutyQuarantineSeverity ?? 7) ? 'automatic' : 'approval';
  const steps: PlannedAction[] = isolate(signal, facts).map((step) =>
    step.type === 'quarantine-principal' && quarantineRun === 'approval' && step.run === 'automatic'
      ? { ...step, run: 'approval' as const, why: `GuardDuty severity ${score} is below ${facts.guardDutyQuarantineSeverity ?? 7}: quarantine is offered, not applied` }
      : step,
  );
  // A federated session is denied on the keys it used as well, by its own ARN.
  if (!suspectIsIam(signal) && !isFederatedSession(signal.principal.arn)) return steps;
  for (const { keyArn, key } of facts.keysUsed ?? []) {
    const run: Run = key.mode === 'observe' ? 'approval' : 'automatic';
    steps.push(denyStep(keyArn, signal.principal.arn, run), revokeStep(keyArn, signal.principal.arn, facts, run));
    if (signal.severity === 'high' || signal.severity === 'critical') {
      const disable = key.mode === 'lockdown' && !key.protected;
      steps.push({
        type: 'disable-key',
        params: { keyArn },
        run: disable ? 'automatic' : 'approval',
        why: disable ? 'lockdown: the key is disabled along with the credential that used it' : key.mode === 'lockdown' ? 'the key is protected: never disabled automatically' : 'disabling a key stops every workload that uses it: a person decides',
      });
    }
  }
  return steps;
};

const byKeyAdministrator = (signal: Signal) => signal.evidence.callerIsKeyAdministrator === true;

/**
 * The policy before the suspect's PutKeyPolicy, when kms-warden saw both (by reference: the texts are stored apart,
 * see respond-to-signals). Otherwise, the openings are taken out of the policy as it stands: a key made before
 * kms-warden was deployed has no earlier policy known, and must not stay open while the incident says contained.
 */
const restorePolicy = (signal: Signal, facts: PlanningFacts): PlannedAction[] => {
  const history = facts.policyHistory;
  if (!signal.keyArn) return [];
  // Not back to a policy the suspect set too (a burst of PutKeyPolicy calls): that one is no better.
  if (history?.previous && history.current.eventId === signal.source.eventId && !isSamePrincipal(history.previous.changedBy, signal.principal.arn)) {
    return [{ type: 'restore-key-policy', params: { keyArn: signal.keyArn, policyRef: policyRefOf(history.previous.policy), replacedPolicyRef: policyRefOf(history.current.policy) }, run: 'automatic' }];
  }
  if (signal.detector === 'key-policy-lockout') return [];
  const ownAccount = accountOfKey(signal.keyArn);
  return ownAccount ? [{ type: 'close-open-key-policy', params: { keyArn: signal.keyArn, ownAccount, trustedAccounts: [...facts.trustedAccounts] }, run: 'automatic' }] : [];
};

const rotateAgain = (signal: Signal): PlannedAction[] =>
  signal.keyArn ? [{ type: 'enable-key-rotation', params: { keyArn: signal.keyArn }, run: 'automatic' }] : [];

/**
 * The default response to each detector's signal. Surgical containment of a suspect runs on its own; anything a
 * false positive would make costly (anomaly detectors, possibly legitimate changes) is offered for approval.
 * Disabling a key is added by the key's mode (plan-response.ts), never here.
 */
export const playbooks: Record<string, Playbook> = {
  'key-deletion-scheduled': (signal, facts) =>
    byKeyAdministrator(signal) || !signal.keyArn
      ? []
      : [{ type: 'cancel-key-deletion', params: { keyArn: signal.keyArn, restoreState: facts.priorKeyState.state }, run: 'automatic' }, ...isolate(signal, facts)],
  'key-disabled': (signal, facts) => (byKeyAdministrator(signal) ? [] : isolate(signal, facts)),
  'key-policy-public': (signal, facts) => [...restorePolicy(signal, facts), ...isolate(signal, facts)],
  'key-policy-cross-account': (signal, facts) => [...restorePolicy(signal, facts), ...isolate(signal, facts)],
  'key-policy-lockout': (signal, facts) => [...restorePolicy(signal, facts), ...isolate(signal, facts)],
  'grant-external-principal': (signal, facts) => isolate(signal, facts),
  'rotation-disabled': (signal) => rotateAgain(signal),
  'rotation-noncompliant': (signal) => rotateAgain(signal),
  // The changed tags go back to what a key administrator last set (removed where none did); the changer is isolated.
  'containment-tag-changed': (signal, facts) => [
    ...(signal.keyArn
      ? [
          {
            type: 'restore-key-tags' as const,
            params: {
              keyArn: signal.keyArn,
              tags: Object.fromEntries(Object.keys((signal.evidence.changed ?? {}) as Record<string, unknown>).map((tag) => [tag, facts.administratorTags?.[tag] ?? null])),
            },
            run: 'automatic' as const,
          },
        ]
      : []),
    ...isolate(signal, facts),
  ],
  'imported-material-deleted': (signal, facts) => isolate(signal, facts),
  'key-material-imported': (signal, facts) => isolate(signal, facts, 'approval'),
  'alias-retargeted': (signal, facts) => isolate(signal, facts, 'approval'),
  'key-replicated': (signal, facts) => isolate(signal, facts, 'approval'),
  'cross-account-key-use': (signal, facts) => isolate(signal, facts),
  'root-key-use': (signal, facts) => isolate(signal, facts, 'approval'),
  'external-key-encryption': (signal, facts) => isolate({ ...signal, keyArn: undefined }, facts),
  'access-denied-burst': (signal, facts) => isolate(signal, facts, 'approval'),
  'key-enumeration': (signal, facts) => isolate(signal, facts, 'approval'),
  'new-principal-for-key': (signal, facts) => isolate(signal, facts, 'approval'),
  'new-source-for-principal': (signal, facts) => isolate(signal, facts, 'approval'),
  'usage-spike': (signal, facts) => isolate(signal, facts, 'approval'),
  'guardduty-credential-compromise': containLeakedCredential,
};
