import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { byKeyAdministrator, isolate } from '../responses';
import { principalIsListed } from '../../events/principal';

/** The shortest window KMS allows; an attacker who wants the key gone picks it. */
const shortestPendingWindow = 7;

export const keyDeletionScheduled = apiCallDetection({
  id: 'key-deletion-scheduled',
  family: 'key-sabotage',
  title: 'A KMS key was scheduled for deletion',
  severity: 'high',
  mitre: ['T1485'],
  stage: 'destruction',
  respond: (signal, facts) =>
    byKeyAdministrator(signal) || !signal.keyArn
      ? []
      : [
          {
            type: 'cancel-key-deletion',
            params: { keyArn: signal.keyArn, restoreState: facts.priorKeyState.state },
            run: 'automatic',
          },
          ...isolate(signal, facts),
        ],
  // Cancelling the deletion restores the key's prior state; lockdown keeps it Disabled (respond/plan-response).
  disablingAddsNothing: true,
  tell: {
    ifIntended: 'If it was, add the principal to the keyAdministrators setting and schedule the deletion again.',
    whatHappened: (incident) => [
      `Key state before the deletion was scheduled: ${incident.priorKeyState.state} (${incident.priorKeyState.basis}).`,
    ],
  },
  appliesTo: ['ScheduleKeyDeletion'],
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event) || !event.keyArn) return null;
    const pendingWindowInDays = Number(event.requestParameters.pendingWindowInDays ?? 30);
    const callerIsKeyAdministrator = principalIsListed(event.principal, settings.keyAdministrators);
    const critical = pendingWindowInDays <= shortestPendingWindow || !callerIsKeyAdministrator;
    return {
      keyArn: event.keyArn,
      severity: critical ? 'critical' : 'high',
      summary: `${event.principal.arn} scheduled ${event.keyArn} for deletion in ${pendingWindowInDays} days${
        callerIsKeyAdministrator ? '' : ' and is not a key administrator'
      }`,
      evidence: {
        pendingWindowInDays,
        deletionDate: event.responseElements.deletionDate,
        callerIsKeyAdministrator,
      },
    };
  },
});
