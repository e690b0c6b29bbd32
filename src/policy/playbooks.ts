import type { PlannedAction } from '../actions';
import type { Signal } from '../detectors/detector';
import { accountOfKey } from '../events/accounts';
import type { KeyPolicyHistory } from '../state/key-journal';
import type { KeyFacts } from './key-facts';
import type { PriorKeyState } from './prior-key-state';

/** What the policy knows beyond the signal when it plans. */
export interface PlanningFacts {
  priorKeyState: PriorKeyState;
  policyHistory?: KeyPolicyHistory | undefined;
  key: KeyFacts;
  trustedAccounts: readonly string[];
  responderRolePath: string;
  /** When the plan is made: sessions issued before it are cut off by quarantine. */
  now: string;
  revokesPerSecond?: number;
  /** For signals about a principal rather than a key (GuardDuty): the keys it used recently, with their modes. */
  keysUsed?: Array<{ keyArn: string; key: KeyFacts }>;
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

/** Isolate the suspect: deny it the key, take its grants, cut its sessions. The surgical steps. */
const isolate = (signal: Signal, facts: PlanningFacts, run: Run = 'automatic'): PlannedAction[] => {
  const steps: PlannedAction[] = [];
  const suspect = signal.principal.arn;
  if (signal.keyArn && suspectIsIam(signal)) steps.push(denyStep(signal.keyArn, suspect, run), revokeStep(signal.keyArn, suspect, facts, run));
  if (suspectIsIam(signal) || signal.principal.kind === 'root') {
    steps.push({
      type: 'quarantine-principal',
      params: { principalArn: suspect, sessionsIssuedBefore: facts.now, responderRolePath: facts.responderRolePath },
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
  const steps = isolate(signal, facts);
  if (!suspectIsIam(signal)) return steps;
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

/** The policy before the suspect's PutKeyPolicy, when kms-warden saw both. */
const restorePolicy = (signal: Signal, facts: PlanningFacts): PlannedAction[] => {
  const history = facts.policyHistory;
  if (!signal.keyArn || !history?.previous || history.current.eventId !== signal.source.eventId) return [];
  return [{ type: 'restore-key-policy', params: { keyArn: signal.keyArn, policy: history.previous.policy, replacedPolicy: history.current.policy }, run: 'automatic' }];
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
