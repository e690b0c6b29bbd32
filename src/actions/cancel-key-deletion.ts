import type { Action } from './action';

export interface CancelKeyDeletionParams {
  keyArn: string;
  /** The state the key was in before the deletion was scheduled; Enabled means EnableKey after cancelling. */
  restoreState: 'Enabled' | 'Disabled';
}

export const cancelKeyDeletion: Action<CancelKeyDeletionParams> = {
  type: 'cancel-key-deletion',
  iamActions: ['kms:DescribeKey', 'kms:CancelKeyDeletion', 'kms:EnableKey', 'kms:DisableKey'],
  reversible: true,
  lane: ({ keyArn }) => `key-state:${keyArn}`,
  describe: ({ keyArn, restoreState }) =>
    `cancel the scheduled deletion of ${keyArn}${restoreState === 'Enabled' ? ' and enable it again' : ', leaving it Disabled'}`,
  apply: async ({ keyArn, restoreState }, { kms }, { resuming }) => {
    const before = await kms.status(keyArn);
    // A multi-Region primary with replicas waits in PendingReplicaDeletion for its replicas to go; KMS cancels that
    // the same way (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-delete.html).
    if (before.state === 'PendingDeletion' || before.state === 'PendingReplicaDeletion') {
      await kms.cancelKeyDeletion(keyArn);
      // CancelKeyDeletion leaves the key Disabled; EnableKey restores its prior state.
      if (restoreState === 'Enabled') await kms.enableKey(keyArn);
    } else if (resuming && before.state === 'Disabled' && restoreState === 'Enabled') {
      // An earlier attempt cancelled the deletion and stopped before EnableKey.
      await kms.enableKey(keyArn);
    } else {
      return { outcome: 'skipped', reason: `key is ${before.state}`, before: { ...before } };
    }
    const after = await kms.status(keyArn);
    // Replicas in other Regions are keys of their own: scheduling their deletion is a separate call, checked there.
    const replicas = before.multiRegion?.replicas ?? [];
    return {
      outcome: 'applied',
      before: { ...before },
      after: { ...after, ...(replicas.length > 0 ? { replicasToCheck: replicas } : {}) },
    };
  },
  undo: async ({ keyArn, restoreState }, { kms }, result) => {
    // Scheduling the deletion again is a decision for a person, never an undo.
    if (result.outcome === 'applied' && restoreState === 'Enabled') await kms.disableKey(keyArn);
  },
};
