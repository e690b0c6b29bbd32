import { principalIsListed } from '../events/principal';
import { isDirectSuccessfulCall, type Detector } from './detector';

/** The shortest window KMS allows; an attacker who wants the key gone picks it. */
const shortestPendingWindow = 7;

export const keyDeletionScheduled: Detector = {
  id: 'key-deletion-scheduled',
  family: 'key-sabotage',
  title: 'A KMS key was scheduled for deletion',
  severity: 'high',
  mitre: ['T1485'],
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
};
