import type { PlannedAction } from '../actions';
import type { Signal } from '../detections';
import type { ResponderDeps } from './responder-deps';

/** An automatic disable-key beyond the hourly cap becomes an offer for approval. */
export const throughCircuitBreaker = async (
  plan: PlannedAction[],
  signal: Signal,
  incidentId: string,
  deps: ResponderDeps,
): Promise<PlannedAction[]> => {
  const checked: PlannedAction[] = [];
  for (const step of plan) {
    if (
      step.type === 'disable-key' &&
      step.run === 'automatic' &&
      !(await deps.breaker.allowDisable(signal.source.accountId ?? 'unknown', incidentId, deps.now()))
    ) {
      checked.push({
        ...step,
        run: 'approval',
        why: `circuit breaker: ${deps.settings.disableKeysPerHour} keys already disabled automatically this hour`,
      });
    } else {
      checked.push(step);
    }
  }
  return checked;
};
