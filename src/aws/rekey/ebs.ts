import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  type EC2Client,
  type Filter,
  type Snapshot,
  type Tag,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/** On a copy: the snapshot it was copied from. A resumed run finds its earlier copy by this tag. */
export const rekeyOfTag = 'kms-warden:rekey-of';
/**
 * On a snapshot of a volume taken to copy it: the volume. Inventory leaves these out (they are a step, not a resource).
 */
export const snapshotForRekeyOfTag = 'kms-warden:snapshot-for-rekey-of';
/** The key a copy was made for: a later re-key of the same resource to another key makes its own copy. */
export const rekeyToTag = 'kms-warden:rekey-to';

const encryptedOnly: Filter[] = [{ Name: 'encrypted', Values: ['true'] }];
const tagOf = (tags: Tag[] | undefined, key: string) => tags?.find((tag) => tag.Key === key)?.Value;

/**
 * EBS volumes and snapshots under the old key. EBS cannot change a volume's or a snapshot's key: a snapshot is
 * copied under the new key (CopySnapshot), a volume is snapshotted and copied, and a person cuts over to a volume made
 * from the copy. Nothing is deleted here: the old volume and snapshots are a person's to remove once the copy checks
 * out.
 */
export class EbsReEncrypter implements ServiceReEncrypter {
  readonly service = 'ebs' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'] as const;
  readonly iamActions = [
    'ec2:DescribeVolumes',
    'ec2:DescribeSnapshots',
    'ec2:CreateSnapshot',
    'ec2:CopySnapshot',
    // TagSpecifications on CreateSnapshot and CopySnapshot are authorised as ec2:CreateTags.
    'ec2:CreateTags',
    // EBS encryption requirements (docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html): users
    // need these on both keys.
    'kms:CreateGrant',
    'kms:Decrypt',
    'kms:DescribeKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:ReEncrypt*',
  ] as const;

  constructor(private readonly clientIn: (region: string) => EC2Client) {}

  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const client = this.clientIn(region);
    const found: ProtectedResource[] = [];
    for await (const page of paginateDescribeVolumes({ client }, { Filters: encryptedOnly })) {
      for (const volume of page.Volumes ?? []) {
        if (!volume.VolumeId || !namesOldKey(volume.KmsKeyId, oldKey)) continue;
        found.push({
          service: this.service,
          kind: 'volume',
          id: volume.VolumeId,
          region,
          detail: volumeDetail(volume),
        });
      }
    }
    for await (const page of paginateDescribeSnapshots({ client }, { OwnerIds: ['self'], Filters: encryptedOnly })) {
      for (const snapshot of page.Snapshots ?? []) {
        if (!snapshot.SnapshotId || !namesOldKey(snapshot.KmsKeyId, oldKey)) continue;
        if (tagOf(snapshot.Tags, snapshotForRekeyOfTag)) continue;
        found.push({
          service: this.service,
          kind: 'snapshot',
          id: snapshot.SnapshotId,
          region,
          detail: {
            state: snapshot.State ?? 'unknown',
            ...(snapshot.VolumeId ? { volumeId: snapshot.VolumeId } : {}),
            ...(snapshot.VolumeSize !== undefined ? { sizeGiB: snapshot.VolumeSize } : {}),
            ...(snapshot.StartTime ? { startTime: snapshot.StartTime.toISOString() } : {}),
            ...(snapshot.Description ? { description: snapshot.Description } : {}),
          },
        });
      }
    }
    return found;
  }

  async reEncrypt(resource: ProtectedResource, newKeyArn: string): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    if (resource.kind === 'snapshot') return this.reEncryptSnapshot(client, resource.region, resource.id, newKeyArn);
    if (resource.kind === 'volume') return this.reEncryptVolume(client, resource.region, resource.id, newKeyArn);
    throw new Error(`EBS cannot re-encrypt a ${resource.kind} (${resource.id}): only volumes and snapshots`);
  }

  private async reEncryptSnapshot(
    client: EC2Client,
    region: string,
    snapshotId: string,
    newKeyArn: string,
  ): Promise<ReEncryptOutcome> {
    const source = await this.snapshot(client, snapshotId);
    if (!source) return { status: 'skipped', detail: `snapshot ${snapshotId} no longer exists` };
    if (namesKey(source.KmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `snapshot ${snapshotId} is already on ${newKeyArn}` };

    const earlier = await this.copyOf(client, snapshotId, newKeyArn);
    if (!earlier) {
      const notReady = notCopyable(source, region);
      if (notReady) return notReady;
    }
    const copy =
      earlier ??
      (await this.copy(client, region, source, newKeyArn, { [rekeyOfTag]: snapshotId, [rekeyToTag]: newKeyArn }));
    const notes = [
      `${snapshotId} still exists under the old key. Once ${copy.id} is verified, delete the old snapshot (deleting data is a person's call): ` +
        `aws ec2 delete-snapshot --snapshot-id ${snapshotId} --region ${region}`,
      `Anything that names ${snapshotId} (an AMI registered from it, a launch template, a restore runbook) must be pointed at ${copy.id} first; ` +
        `EBS refuses to delete a snapshot an AMI still uses.`,
    ];
    if (copy.state !== 'completed') {
      notes.unshift(
        `The copy is ${copy.state}: it is usable once completed (aws ec2 wait snapshot-completed --snapshot-ids ${copy.id} --region ${region}).`,
      );
    }
    return { status: 're-encrypted', detail: `snapshot ${snapshotId} copied to ${copy.id} under ${newKeyArn}`, notes };
  }

  private async reEncryptVolume(
    client: EC2Client,
    region: string,
    volumeId: string,
    newKeyArn: string,
  ): Promise<ReEncryptOutcome> {
    const volume = await this.volume(client, volumeId);
    if (!volume || volume.State === 'deleting' || volume.State === 'deleted')
      return { status: 'skipped', detail: `volume ${volumeId} no longer exists` };
    if (namesKey(volume.KmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `volume ${volumeId} is already on ${newKeyArn}` };

    const taken =
      (await this.snapshotOfVolume(client, volumeId, newKeyArn)) ??
      (await this.takeSnapshot(client, volumeId, newKeyArn));
    if (!taken.SnapshotId) throw new Error(`CreateSnapshot of ${volumeId} returned no snapshot id`);
    const notReady = notCopyable(taken, region);
    if (notReady) {
      return {
        ...notReady,
        detail: `snapshot ${taken.SnapshotId} of volume ${volumeId} is not ready to copy: ${notReady.detail}`,
      };
    }
    const copy =
      (await this.copyOf(client, taken.SnapshotId, newKeyArn)) ??
      (await this.copy(client, region, taken, newKeyArn, { [rekeyOfTag]: taken.SnapshotId, [rekeyToTag]: newKeyArn }));

    return {
      status: 'needs-human',
      detail: `volume ${volumeId} was snapshotted (${taken.SnapshotId}) and copied under the new key (${copy.id}); a person swaps the volume`,
      instructions: volumeCutover(volume, region, newKeyArn, taken, copy.id),
    };
  }

  private async volume(client: EC2Client, volumeId: string): Promise<Volume | undefined> {
    try {
      return (await client.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0];
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidVolume.NotFound') return undefined;
      throw error;
    }
  }

  private async snapshot(client: EC2Client, snapshotId: string): Promise<Snapshot | undefined> {
    try {
      return (await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots?.[0];
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidSnapshot.NotFound') return undefined;
      throw error;
    }
  }

  /** Snapshots carrying `tag` = `value` made for `newKeyArn`, newest first, leaving out failed ones. */
  private async tagged(client: EC2Client, tag: string, value: string, newKeyArn: string): Promise<Snapshot[]> {
    const found: Snapshot[] = [];
    const Filters = [
      { Name: `tag:${tag}`, Values: [value] },
      { Name: `tag:${rekeyToTag}`, Values: [newKeyArn] },
    ];
    for await (const page of paginateDescribeSnapshots({ client }, { OwnerIds: ['self'], Filters })) {
      for (const snapshot of page.Snapshots ?? [])
        if (snapshot.SnapshotId && snapshot.State !== 'error') found.push(snapshot);
    }
    return found.sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0));
  }

  /** The copy an earlier run made of `snapshotId` under the new key, if there is one. */
  private async copyOf(
    client: EC2Client,
    snapshotId: string,
    newKeyArn: string,
  ): Promise<{ id: string; state: string } | undefined> {
    const copy = (await this.tagged(client, rekeyOfTag, snapshotId, newKeyArn)).find((snapshot) =>
      namesKey(snapshot.KmsKeyId, newKeyArn),
    );
    return copy?.SnapshotId ? { id: copy.SnapshotId, state: copy.State ?? 'pending' } : undefined;
  }

  private async snapshotOfVolume(
    client: EC2Client,
    volumeId: string,
    newKeyArn: string,
  ): Promise<Snapshot | undefined> {
    return (await this.tagged(client, snapshotForRekeyOfTag, volumeId, newKeyArn)).find(
      (snapshot) => snapshot.VolumeId === volumeId,
    );
  }

  private async takeSnapshot(client: EC2Client, volumeId: string, newKeyArn: string): Promise<Snapshot> {
    return client.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: `kms-warden: snapshot of ${volumeId} to copy under a new KMS key`,
        TagSpecifications: [
          { ResourceType: 'snapshot', Tags: toTags({ [snapshotForRekeyOfTag]: volumeId, [rekeyToTag]: newKeyArn }) },
        ],
      }),
    );
  }

  /** Tags travel with the copy in the same call, so a copy that exists can always be found again. */
  private async copy(
    client: EC2Client,
    region: string,
    source: Snapshot,
    newKeyArn: string,
    marks: Record<string, string>,
  ): Promise<{ id: string; state: string }> {
    const kept = (source.Tags ?? []).filter(
      (tag) => tag.Key && !tag.Key.startsWith('aws:') && !tag.Key.startsWith('kms-warden:'),
    );
    const description = `Copy of ${source.SnapshotId} under a new KMS key (kms-warden)${source.Description ? `: ${source.Description}` : ''}`;
    const { SnapshotId } = await client.send(
      new CopySnapshotCommand({
        SourceSnapshotId: source.SnapshotId,
        SourceRegion: region,
        Encrypted: true,
        KmsKeyId: newKeyArn,
        Description: description.slice(0, 255),
        // EC2 allows 50 tags on a resource; the marks come first so they are never the ones cut.
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...toTags(marks), ...kept].slice(0, 50) }],
      }),
    );
    if (!SnapshotId) throw new Error(`CopySnapshot of ${source.SnapshotId} returned no snapshot id`);
    return { id: SnapshotId, state: 'pending' };
  }
}

const toTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

const volumeDetail = (volume: Volume): Record<string, string | number | boolean> => ({
  state: volume.State ?? 'unknown',
  ...(volume.AvailabilityZone ? { availabilityZone: volume.AvailabilityZone } : {}),
  ...(volume.Size !== undefined ? { sizeGiB: volume.Size } : {}),
  ...(volume.VolumeType ? { volumeType: volume.VolumeType } : {}),
  ...(volume.Attachments?.length
    ? {
        attachedTo: volume.Attachments.map(
          (attachment) => `${attachment.InstanceId ?? '?'} at ${attachment.Device ?? '?'}`,
        ).join(', '),
      }
    : {}),
});

/** CopySnapshot takes only a completed snapshot that is in standard storage. */
const notCopyable = (
  snapshot: Snapshot,
  region: string,
): Extract<ReEncryptOutcome, { status: 'needs-human' }> | undefined => {
  const id = snapshot.SnapshotId ?? '?';
  if (snapshot.StorageTier === 'archive') {
    return {
      status: 'needs-human',
      detail: `snapshot ${id} is archived`,
      instructions: [
        `Restore it to standard storage: aws ec2 restore-snapshot-tier --snapshot-id ${id} --temporary-restore-days 7 --region ${region}`,
        'Run this re-key step again once the restore completes (hours to a day or more for archived snapshots).',
      ],
    };
  }
  if (snapshot.State === 'completed') return undefined;
  if (snapshot.State === 'pending') {
    return {
      status: 'needs-human',
      detail: `snapshot ${id} is still being taken (${snapshot.Progress ?? '0%'})`,
      instructions: [
        `Wait for it: aws ec2 wait snapshot-completed --snapshot-ids ${id} --region ${region}`,
        'Then run this re-key step again.',
      ],
    };
  }
  return {
    status: 'needs-human',
    detail: `snapshot ${id} is ${snapshot.State ?? 'in an unknown state'} and cannot be copied`,
    instructions: [
      `Look at it: aws ec2 describe-snapshots --snapshot-ids ${id} --region ${region}`,
      snapshot.State === 'error'
        ? `A snapshot in error holds no usable data: delete it (aws ec2 delete-snapshot --snapshot-id ${id} --region ${region}) and run this re-key step again.`
        : 'Run this re-key step again once it is completed.',
    ],
  };
};

/**
 * The exact swap, command by command: a new volume from the copy in the same Availability Zone, moved into the old
 * one's place.
 */
const volumeCutover = (
  volume: Volume,
  region: string,
  newKeyArn: string,
  taken: Snapshot,
  copyId: string,
): string[] => {
  const volumeId = volume.VolumeId ?? '?';
  const attachments = volume.Attachments ?? [];
  const at = ` --region ${region}`;
  const performance = [
    volume.VolumeType ? ` --volume-type ${volume.VolumeType}` : '',
    volume.Iops !== undefined && ['io1', 'io2', 'gp3'].includes(volume.VolumeType ?? '')
      ? ` --iops ${volume.Iops}`
      : '',
    volume.Throughput !== undefined && volume.VolumeType === 'gp3' ? ` --throughput ${volume.Throughput}` : '',
    volume.MultiAttachEnabled ? ' --multi-attach-enabled' : '',
  ].join('');
  const steps = [
    attachments.length
      ? `The copy holds ${volumeId} as it was at ${taken.StartTime?.toISOString() ?? 'the snapshot time'}. If anything wrote to it since and those writes matter, ` +
        `stop ${attachments.map((attachment) => attachment.InstanceId).join(', ')} first, delete ${copyId} and ${taken.SnapshotId} ` +
        `(aws ec2 delete-snapshot --snapshot-id <id>${at}), and run this re-key step again so the copy is taken from the stopped volume.`
      : `${volumeId} was not attached to an instance when it was snapshotted (${taken.StartTime?.toISOString() ?? 'at the snapshot time'}): the copy holds all its data.`,
    `Wait for the copy: aws ec2 wait snapshot-completed --snapshot-ids ${copyId}${at}`,
    `Create the new volume in ${volume.AvailabilityZone ?? 'the same Availability Zone'} (keep this shell open: later steps use $NEW_VOLUME): ` +
      `NEW_VOLUME=$(aws ec2 create-volume --snapshot-id ${copyId} --availability-zone ${volume.AvailabilityZone ?? '<az>'}${performance} ` +
      `--encrypted --kms-key-id ${newKeyArn} --tag-specifications 'ResourceType=volume,Tags=[{Key=${rekeyOfTag},Value=${volumeId}}]' ` +
      `--query VolumeId --output text${at}) && aws ec2 wait volume-available --volume-ids "$NEW_VOLUME"${at}`,
    `Copy over the tags people rely on (aws ec2 describe-tags --filters Name=resource-id,Values=${volumeId}${at}).`,
  ];
  if (!attachments.length) {
    steps.push(`Use "$NEW_VOLUME" wherever ${volumeId} was used (launch templates, runbooks, attach-volume scripts).`);
  }
  for (const { InstanceId: instance, Device: device, DeleteOnTermination: deleteOnTermination } of attachments) {
    steps.push(
      `Stop the instance: aws ec2 stop-instances --instance-ids ${instance}${at} && aws ec2 wait instance-stopped --instance-ids ${instance}${at}`,
      `Detach the old volume: aws ec2 detach-volume --volume-id ${volumeId} --instance-id ${instance}${at} && aws ec2 wait volume-available --volume-ids ${volumeId}${at}`,
      `Attach the new one at the same device: aws ec2 attach-volume --volume-id "$NEW_VOLUME" --instance-id ${instance} --device ${device}${at}`,
    );
    if (deleteOnTermination) {
      steps.push(
        `Keep delete-on-termination as it was: aws ec2 modify-instance-attribute --instance-id ${instance} ` +
          `--block-device-mappings '[{"DeviceName":"${device}","Ebs":{"DeleteOnTermination":true}}]'${at}`,
      );
    }
    steps.push(
      `Start it: aws ec2 start-instances --instance-ids ${instance}${at}, then verify it boots and its data and applications are there.`,
    );
  }
  steps.push(
    `Once verified, delete the old volume and the snapshot taken of it, both under the old key (a person's call): ` +
      `aws ec2 delete-volume --volume-id ${volumeId}${at} && aws ec2 delete-snapshot --snapshot-id ${taken.SnapshotId}${at}`,
    `${copyId} (under the new key) can stay as a backup or be deleted once the new volume has its own backups.`,
  );
  return steps;
};
