import { tellPeople } from '../../notify/tell-people';
import { type RekeyStep, stepInputs } from '../step';
import { deletionApproved, secondsUntil } from '../waiting';
import { incidentOf } from './incident-of';

/** What the workflow waits on next: the approval, and how long it may still wait for it. */
export interface DeletionApproval {
  approved: boolean;
  expired: boolean;
  /** When this looked, and the seconds left until the approval's time is up (the waiting task's timeout). */
  since: string;
  waitSeconds: number;
}

/**
 * Whether someone approved the deletion; past the setting's days without it, the run ends and the key stays disabled.
 */
export const deletionApproval: RekeyStep<typeof stepInputs.run, DeletionApproval> = {
  name: 'deletion-approval',
  input: stepInputs.run,
  run: async ({ run }, deps) => {
    const incident = await incidentOf(run, deps);
    const now = deps.now();
    const since = now.toISOString();
    if (deletionApproved(incident)) return { approved: true, expired: false, since, waitSeconds: 1 };
    const requested = Date.parse(incident.rekey?.deletionRequestedAt ?? since);
    const until = requested + deps.settings.deletionApprovalDays * 86_400_000;
    const expired = now.getTime() >= until;
    if (expired) {
      await tellPeople(incident, deps, {
        lead: `No one approved deleting ${run.keyArn} within ${deps.settings.deletionApprovalDays} days: it stays disabled. To delete it later: aws kms schedule-key-deletion --key-id ${run.keyArn} --pending-window-in-days ${run.pendingWindowDays}`,
      });
    }
    return { approved: false, expired, since, waitSeconds: secondsUntil(until, now) };
  },
};
