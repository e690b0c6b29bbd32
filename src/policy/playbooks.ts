import type { PlannedAction } from '../actions';
import type { Signal } from '../detectors/detector';
import type { PriorKeyState } from './prior-key-state';

/** What the policy knows beyond the signal when it plans. */
export interface PlanningFacts {
  priorKeyState: PriorKeyState;
}

export type Playbook = (signal: Signal, facts: PlanningFacts) => PlannedAction[];

/** The response to each detector's signal, by detector id. A detector without a playbook is reported only. */
export const playbooks: Record<string, Playbook> = {
  'key-deletion-scheduled': (signal, { priorKeyState }) =>
    signal.evidence.callerIsKeyAdministrator === true || !signal.keyArn
      ? []
      : [{ type: 'cancel-key-deletion', params: { keyArn: signal.keyArn, restoreState: priorKeyState.state } }],
};

export const planResponse = (signal: Signal, facts: PlanningFacts): PlannedAction[] =>
  playbooks[signal.detector]?.(signal, facts) ?? [];
