import { VerificationNoLongerHoldsError } from '../../errors';
import { tellPeople } from '../../notify/tell-people';
import { type RekeyStep, stepInputs } from '../step';
import { incidentOf } from './incident-of';
import { verifyRekey } from './verify';
import { deletionApproved } from '../waiting';

/**
 * Schedules the old key's deletion with the run's waiting period (7 to 30 days). Never before verification and the
 * second approval: both are checked here again, whatever the workflow says. Once: a key already pending deletion
 * keeps its date.
 */
export const scheduleDeletion: RekeyStep<typeof stepInputs.runSnapshotAndReplacement, { deletionDate: string }> = {
  name: 'schedule-deletion',
  input: stepInputs.runSnapshotAndReplacement,
  run: async ({ run, snapshot, replacement }, deps) => {
    const incident = await incidentOf(run, deps);
    if (incident.rekey?.deletionDate) {
      // Scheduled before; a retry after the status move failed finishes the move.
      if (incident.status === 're-keyed')
        await deps.incidents.advance(
          incident.id,
          'deletion-scheduled',
          deps.now().toISOString(),
          `old key deletion scheduled for ${incident.rekey.deletionDate}`,
        );
      return { deletionDate: incident.rekey.deletionDate };
    }
    const approved = deletionApproved(incident);
    if (incident.status !== 're-keyed' || !incident.rekey?.verifiedAt || !approved) {
      throw new Error(
        `refusing to schedule the deletion of ${run.keyArn}: the incident is ${incident.status}, ${incident.rekey?.verifiedAt ? 'verified' : 'not verified'}, ${approved ? 'approved' : 'not approved'}`,
      );
    }
    const key = await deps.keys.state(run.keyArn);
    // A primary scheduled while its replicas wait for deletion is PendingReplicaDeletion: scheduled all the same.
    const pending = key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion';
    if (!pending) {
      // The approval may come days after verification: verified again now, or nothing is scheduled.
      const now = await verifyRekey({ run, snapshot, replacement }, deps, { forceInventory: true });
      if (!now.done) throw new VerificationNoLongerHoldsError(run.keyArn, now);
    }
    // A multi-Region primary's replicas first: KMS deletes a primary only once its replicas are gone (until then it
    // is PendingReplicaDeletion), https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-delete.html
    const replicaDates: number[] = [];
    for (const replica of snapshot.replicas ?? []) {
      const state = await deps.keys.state(replica.keyArn);
      const date =
        state.state === 'PendingDeletion' && state.deletionDate
          ? state.deletionDate
          : await deps.keys.scheduleDeletion(replica.keyArn, run.pendingWindowDays);
      replicaDates.push(Date.parse(date));
    }
    // Scheduled once: a retry finds the primary pending (PendingReplicaDeletion has no date of its own yet).
    const scheduledDate = pending
      ? key.deletionDate
      : await deps.keys.scheduleDeletion(run.keyArn, run.pendingWindowDays);
    // A primary with replicas is deleted its waiting period after the last of them is: that is its date.
    // https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html
    const deletionDate =
      replicaDates.length > 0
        ? new Date(Math.max(...replicaDates) + run.pendingWindowDays * 86_400_000).toISOString()
        : (scheduledDate ?? new Date(deps.now().getTime() + run.pendingWindowDays * 86_400_000).toISOString());
    const at = deps.now().toISOString();
    await deps.incidents.recordRekey(
      incident.id,
      { deletionDate },
      at,
      `deletion of the old key scheduled for ${deletionDate}`,
    );
    const scheduled = await deps.incidents.advance(
      incident.id,
      'deletion-scheduled',
      at,
      `old key deletion scheduled for ${deletionDate}`,
    );
    await tellPeople(scheduled, deps, {
      lead: `${run.keyArn} will be deleted on ${deletionDate}. Until then it can be recovered: aws kms cancel-key-deletion --key-id ${run.keyArn}`,
    });
    return { deletionDate };
  },
};
