import type { Incident, RekeyWait } from '../incidents/incident';

/** Ends a re-key execution's wait for people: SendTaskSuccess with the token its waiting task recorded. */
export interface TaskResumer {
  /** False when no task waits on the token any more (resumed already, timed out, its execution over). */
  resume(token: string, output: Record<string, string>): Promise<boolean>;
}

/**
 * Ends the re-key execution's wait for `what`, if it is waiting for that: whoever ends a wait (an acknowledgement, the
 * deletion's approval) records what they did first and resumes after, and the waiting task records its token first
 * and looks for what was done after; so whichever comes second resumes it, and at worst both do (the second is told
 * the task is closed). Returns whether this call resumed it.
 */
export const resumeWaiting = async (
  incident: Incident | undefined,
  what: RekeyWait,
  resumer: TaskResumer,
  output: Record<string, string>,
): Promise<boolean> => {
  const awaiting = incident?.rekey?.awaiting;
  if (!awaiting || awaiting.for !== what) return false;
  return resumer.resume(awaiting.token, output);
};

/** Whether someone approved scheduling the old key's deletion. */
export const deletionApproved = (incident: Incident): boolean =>
  (incident.decisions ?? []).some((decision) => decision.action === 'approve-deletion');

/** Whether what a wait that began at `since` waits for has happened since: the approval, or an acknowledgement. */
export const waitEnded = (incident: Incident, what: RekeyWait, since: string): boolean =>
  what === 'deletion-approval' ? deletionApproved(incident) : (incident.rekey?.lastAcknowledgedAt ?? '') > since;

/** Whole seconds from now until `at`, at least `floor`: a Task's TimeoutSeconds is a positive integer. */
export const secondsUntil = (at: number, now: Date, floor = 1): number =>
  Math.max(floor, Math.ceil((at - now.getTime()) / 1000));
