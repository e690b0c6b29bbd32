import { jsonAnswer, withJson, type StrictRule } from './rule';

/**
 * KMS does not delete a multi-Region primary key that has replicas: scheduling its deletion puts it in
 * PendingReplicaDeletion (no DeletionDate) until the last replica is deleted. CancelKeyDeletion works in that state
 * as in PendingDeletion. moto puts the primary straight into PendingDeletion; the layer shows the state AWS reports.
 */
export const kmsPendingReplicaDeletion: StrictRule = {
  id: 'kms-pending-replica-deletion',
  says: 'ScheduleKeyDeletion on a multi-Region primary key with replicas leaves it PendingReplicaDeletion, without a deletion date, until its replicas are deleted',
  docs: [
    'https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-delete.html',
  ],
  operations: ['kms:ScheduleKeyDeletion', 'kms:DescribeKey', 'kms:CancelKeyDeletion'],
  answer: async ({ call, emulator, overlay, keyArn }, answer) => {
    const body = jsonAnswer(answer);
    const key = await keyArn();
    if (!body || !key) return answer;
    if (call.action === 'CancelKeyDeletion') {
      delete overlay.key(key).state;
      return answer;
    }
    if (call.action === 'ScheduleKeyDeletion') {
      const metadata = await emulator.keyMetadata(key);
      const replicas =
        metadata?.MultiRegionConfiguration?.MultiRegionKeyType === 'PRIMARY'
          ? (metadata.MultiRegionConfiguration.ReplicaKeys ?? [])
          : [];
      if (replicas.length === 0) return answer;
      overlay.key(key).state = 'PendingReplicaDeletion';
      const { DeletionDate: _date, ...rest } = body;
      return withJson(answer, {
        ...rest,
        KeyState: 'PendingReplicaDeletion',
        PendingWindowInDays: call.params.PendingWindowInDays ?? 30,
      });
    }
    const metadata = body.KeyMetadata as Record<string, unknown> | undefined;
    if (overlay.keys.get(key)?.state !== 'PendingReplicaDeletion' || metadata?.KeyState !== 'PendingDeletion')
      return answer;
    const { DeletionDate: _date, ...rest } = metadata;
    return withJson(answer, { ...body, KeyMetadata: { ...rest, KeyState: 'PendingReplicaDeletion' } });
  },
};
