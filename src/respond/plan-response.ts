import type { PlannedAction } from '../actions';
import { detectionOf, type PlanningFacts, type Signal } from '../detections';
import { accountOfKey } from '../events/accounts';

const serious = new Set(['high', 'critical']);

/**
 * An AWS managed key (alias/aws/*) belongs to its service: nobody may change its policy, state, grants or tags, and
 * kms-warden does not try. What is left is the suspect, and a person told why the key itself was left alone.
 */
const onlyWhatAwsAllows = (signal: Signal, facts: PlanningFacts, steps: PlannedAction[]): PlannedAction[] => {
  if (!facts.awsManagedKey || !signal.keyArn) return steps;
  const onKey = (step: PlannedAction) => 'keyArn' in step.params && step.params.keyArn === signal.keyArn;
  return [
    ...steps.filter((step) => !onKey(step)),
    {
      type: 'ask-a-person',
      params: {
        what: `review what ${signal.principal.arn} did with ${signal.keyArn}, and the resources of its service that use it`,
        why: `${signal.keyArn} is an AWS managed key: only its service may change it, so kms-warden changed nothing on it`,
      },
      run: 'automatic',
    },
  ];
};

/**
 * A step on a key of another account than the event's. Such a key ARN can come from what the caller wrote (a request
 * parameter naming another account's key); in an organization, kms-warden could act there through the member role, so
 * the step waits for a person rather than letting one account's events change another account's keys.
 */
const onAnotherAccountsKey = (signal: Signal, step: PlannedAction): boolean => {
  const keyArn = (step.params as { keyArn?: unknown }).keyArn;
  if (step.run !== 'automatic' || typeof keyArn !== 'string' || step.type === 'ask-a-person') return false;
  const account = accountOfKey(keyArn);
  return account !== undefined && signal.source.accountId !== undefined && account !== signal.source.accountId;
};

/**
 * The plan for a signal: its detection's playbook, shaped by the key's mode. A signal of a detection that no longer
 * exists (stored by an older version) gets no automatic steps.
 * - observe: nothing runs on its own; every step is offered for approval.
 * - contain (the default): the playbook as it is, and disabling the key offered for approval.
 * - lockdown: the playbook, and the key disabled at once, unless it is protected.
 * A protected key is never disabled automatically. The circuit breaker (applied when the plan runs) may still
 * turn an automatic disable-key into an offer.
 */
export const planResponse = (signal: Signal, facts: PlanningFacts): PlannedAction[] => {
  const { mode } = facts.key;
  const lockdown = mode === 'lockdown' && !facts.key.protected;
  const detection = detectionOf(signal.detector);
  const steps = (detection?.respond(signal, facts) ?? []).map((step) =>
    // In lockdown an undone deletion leaves the key Disabled: contained and disabled in one step.
    step.type === 'cancel-key-deletion' && lockdown
      ? {
          ...step,
          params: { ...step.params, restoreState: 'Disabled' as const },
          why: 'lockdown: the key stays disabled after the deletion is cancelled',
        }
      : step,
  );
  const ours = signal.keyArn !== undefined && accountOfKey(signal.keyArn) === signal.source.accountId;
  const disable: PlannedAction[] =
    signal.keyArn && ours && serious.has(signal.severity) && !detection?.disablingAddsNothing
      ? [
          {
            type: 'disable-key',
            params: { keyArn: signal.keyArn },
            run: mode === 'lockdown' && !facts.key.protected ? 'automatic' : 'approval',
            why:
              mode === 'lockdown' && facts.key.protected
                ? 'the key is protected: never disabled automatically'
                : 'disabling a key stops every workload that uses it: a person decides',
          },
        ]
      : [];
  const planned = onlyWhatAwsAllows(signal, facts, [...steps, ...disable]).map((step) =>
    onAnotherAccountsKey(signal, step)
      ? {
          ...step,
          run: 'approval' as const,
          why: `the key is in account ${accountOfKey((step.params as { keyArn: string }).keyArn)}, not ${signal.source.accountId ?? 'the account'} the event came from: a person decides`,
        }
      : step,
  );
  if (mode !== 'observe') return planned;
  return planned.map((step) => ({
    ...step,
    run: 'approval' as const,
    why: `the key is in observe mode (${facts.key.modeSource})`,
  }));
};
