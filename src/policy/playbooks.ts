import type { PlannedAction } from '../actions';
import type { Signal } from '../detectors/detector';
import { accountOfKey } from '../events/accounts';
import type { KeyPolicyHistory } from '../state/key-policy-journal';
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
}

export type Playbook = (signal: Signal, facts: PlanningFacts) => PlannedAction[];

const suspectIsIam = (signal: Signal) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\//.test(signal.principal.arn);

/** Isolate the suspect: deny it the key, take its grants, cut its sessions. The surgical steps. */
const isolate = (signal: Signal, facts: PlanningFacts, run: 'automatic' | 'approval' = 'automatic'): PlannedAction[] => {
  const steps: PlannedAction[] = [];
  const suspect = signal.principal.arn;
  if (signal.keyArn && suspectIsIam(signal)) {
    steps.push({ type: 'deny-principal-in-key-policy', params: { keyArn: signal.keyArn, principalArn: suspect }, run });
    steps.push({
      type: 'revoke-grants',
      params: {
        keyArn: signal.keyArn,
        suspectArn: suspect,
        ownAccount: accountOfKey(signal.keyArn) ?? '',
        trustedAccounts: [...facts.trustedAccounts],
        ...(facts.revokesPerSecond ? { revokesPerSecond: facts.revokesPerSecond } : {}),
      },
      run,
    });
  }
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
  'guardduty-credential-compromise': (signal, facts) => isolate(signal, facts),
};
