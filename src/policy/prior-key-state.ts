import { isSamePrincipal, type Principal } from '../events/principal';
import type { KeyStateHistory } from '../state/key-journal';

export interface PriorKeyState {
  state: 'Enabled' | 'Disabled';
  /** How it is known, said in the incident and the notification. */
  basis: string;
}

/**
 * The state to put a key back into after undoing the suspect's deletion. A DisableKey by the suspect
 * is part of the same attack, so the state before it is the one to restore.
 */
export const priorKeyState = (
  history: KeyStateHistory | undefined,
  suspect: Principal,
  whenUnknown: 'Enabled' | 'Disabled',
): PriorKeyState => {
  if (!history) return { state: whenUnknown, basis: `no earlier state change seen; assumed ${whenUnknown}` };
  const { current, previous } = history;
  if (!isSamePrincipal(current.changedBy, suspect.arn)) {
    return { state: current.state, basis: `${current.state} since ${current.eventTime} (event ${current.eventId})` };
  }
  if (previous && !isSamePrincipal(previous.changedBy, suspect.arn)) {
    return {
      state: previous.state,
      basis: `${previous.state} before the suspect's own change at ${current.eventTime} (event ${previous.eventId})`,
    };
  }
  return { state: whenUnknown, basis: `only the suspect's own state changes seen; assumed ${whenUnknown}` };
};
