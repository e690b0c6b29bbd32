import {
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  FileSystemNotFound,
  paginateDescribeFileSystems,
  paginateDescribeMountTargets,
  type EFSClient,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/**
 * The creation token of the replacement file system: CreateFileSystem with the same token returns the same file system.
 */
export const replacementCreationToken = (fileSystemId: string, newKeyArn: string) =>
  `kms-warden-rekey-${fileSystemId}-${newKeyArn
    .slice(newKeyArn.lastIndexOf('/') + 1)
    .replace(/^mrk-/, '')
    .replace(/-/g, '')
    .slice(0, 8)}`;

interface MountTarget {
  id: string;
  subnetId: string;
  availabilityZone: string | undefined;
  securityGroups: string[];
}

/**
 * EFS file systems under the old key. EFS cannot change a file system's key: the data moves to a new file system
 * created under the new key, and clients switch to it. That is a migration a person runs, so reEncrypt only reads
 * and writes the plan, with the exact commands for this file system's settings and mount targets. It changes nothing.
 */
export class EfsReEncrypter implements ServiceReEncrypter {
  readonly service = 'efs' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = ['elasticfilesystem:DescribeFileSystems'] as const;
  readonly iamActions = [
    'elasticfilesystem:DescribeFileSystems',
    'elasticfilesystem:DescribeMountTargets',
    'elasticfilesystem:DescribeMountTargetSecurityGroups',
    // DescribeMountTargetSecurityGroups API reference: it also needs this on the mount target's network interface.
    'ec2:DescribeNetworkInterfaceAttribute',
  ] as const;

  constructor(private readonly clientIn: (region: string) => EFSClient) {}

  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const found: ProtectedResource[] = [];
    for await (const page of paginateDescribeFileSystems({ client: this.clientIn(region) }, {})) {
      for (const fileSystem of page.FileSystems ?? []) {
        if (
          !fileSystem.FileSystemId ||
          !fileSystem.Encrypted ||
          !namesOldKey(fileSystem.KmsKeyId, oldKey) ||
          isGoing(fileSystem)
        )
          continue;
        found.push({
          service: this.service,
          kind: 'file-system',
          id: fileSystem.FileSystemId,
          region,
          detail: {
            state: fileSystem.LifeCycleState ?? 'unknown',
            sizeBytes: fileSystem.SizeInBytes?.Value ?? 0,
            mountTargets: fileSystem.NumberOfMountTargets ?? 0,
            ...(fileSystem.Name ? { name: fileSystem.Name } : {}),
            ...(fileSystem.AvailabilityZoneName ? { availabilityZone: fileSystem.AvailabilityZoneName } : {}),
          },
        });
      }
    }
    return found;
  }

  async reEncrypt(resource: ProtectedResource, newKeyArn: string): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    const fileSystem = await this.fileSystem(client, { FileSystemId: resource.id });
    if (!fileSystem || isGoing(fileSystem))
      return { status: 'skipped', detail: `file system ${resource.id} no longer exists` };
    if (namesKey(fileSystem.KmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `file system ${resource.id} is already on ${newKeyArn}` };

    const token = replacementCreationToken(resource.id, newKeyArn);
    // A person may have run step 1 of an earlier plan already: name the file system it made.
    const replacement = await this.fileSystem(client, { CreationToken: token });
    const mountTargets = await this.mountTargets(client, resource.id);
    return {
      status: 'needs-human',
      detail:
        `file system ${resource.id} cannot change its key: its data moves to a new file system under the new key` +
        (replacement ? ` (${replacement.FileSystemId}, already created)` : '') +
        '; nothing was changed',
      instructions: migrationPlan(
        fileSystem,
        mountTargets,
        resource.region,
        newKeyArn,
        token,
        replacement?.FileSystemId,
      ),
    };
  }

  private async fileSystem(
    client: EFSClient,
    which: { FileSystemId: string } | { CreationToken: string },
  ): Promise<FileSystemDescription | undefined> {
    try {
      return (await client.send(new DescribeFileSystemsCommand(which))).FileSystems?.[0];
    } catch (error) {
      if (error instanceof FileSystemNotFound) return undefined;
      throw error;
    }
  }

  private async mountTargets(client: EFSClient, fileSystemId: string): Promise<MountTarget[]> {
    const found: MountTarget[] = [];
    for await (const page of paginateDescribeMountTargets({ client }, { FileSystemId: fileSystemId })) {
      for (const target of page.MountTargets ?? []) {
        if (
          !target.MountTargetId ||
          !target.SubnetId ||
          target.LifeCycleState === 'deleting' ||
          target.LifeCycleState === 'deleted'
        )
          continue;
        const { SecurityGroups } = await client.send(
          new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: target.MountTargetId }),
        );
        found.push({
          id: target.MountTargetId,
          subnetId: target.SubnetId,
          availabilityZone: target.AvailabilityZoneName,
          securityGroups: SecurityGroups ?? [],
        });
      }
    }
    return found;
  }
}

const isGoing = (fileSystem: FileSystemDescription) =>
  fileSystem.LifeCycleState === 'deleting' || fileSystem.LifeCycleState === 'deleted';

/** The migration, command by command, for this file system's settings and mount targets. */
const migrationPlan = (
  fileSystem: FileSystemDescription,
  mountTargets: MountTarget[],
  region: string,
  newKeyArn: string,
  token: string,
  replacementId: string | undefined,
): string[] => {
  const id = fileSystem.FileSystemId;
  const at = ` --region ${region}`;
  // arn:<partition>:elasticfilesystem:<region>:<account>:file-system/<id>: DataSync wants subnet and security group
  // ARNs alike.
  const [, partition = 'aws', , , account = fileSystem.OwnerId] = (fileSystem.FileSystemArn ?? '').split(':');
  const ec2Arn = (type: string, resourceId: string) =>
    `arn:${partition}:ec2:${region}:${account}:${type}/${resourceId}`;
  const newFileSystemArn = `arn:${partition}:elasticfilesystem:${region}:${account}:file-system/$NEW_FS`;

  const create = [
    `NEW_FS=$(aws efs create-file-system --creation-token ${token} --encrypted --kms-key-id ${newKeyArn}`,
    ` --performance-mode ${fileSystem.PerformanceMode}`,
    fileSystem.ThroughputMode ? ` --throughput-mode ${fileSystem.ThroughputMode}` : '',
    fileSystem.ThroughputMode === 'provisioned' && fileSystem.ProvisionedThroughputInMibps
      ? ` --provisioned-throughput-in-mibps ${fileSystem.ProvisionedThroughputInMibps}`
      : '',
    fileSystem.AvailabilityZoneName ? ` --availability-zone-name ${fileSystem.AvailabilityZoneName}` : '',
    ` --tags Key=kms-warden:rekey-of,Value=${id} --query FileSystemId --output text${at})`,
  ].join('');
  const steps = [
    replacementId
      ? `The new file system exists already (${replacementId}, created with token ${token}); set NEW_FS=${replacementId} in your shell and go on.`
      : `Create the new file system under the new key (keep this shell open: later steps use $NEW_FS; the creation token makes a rerun return the same file system): ${create}`,
    `Copy over its tags and name (aws efs list-tags-for-resource --resource-id ${id}${at}), then recreate what belongs to ${id} on $NEW_FS: access points (aws efs describe-access-points --file-system-id ${id}${at}), ` +
      `lifecycle (aws efs describe-lifecycle-configuration --file-system-id ${id}${at}), backup policy (aws efs describe-backup-policy --file-system-id ${id}${at}) ` +
      `and file system policy (aws efs describe-file-system-policy --file-system-id ${id}${at}).`,
  ];
  if (mountTargets.length) {
    for (const target of mountTargets) {
      const groups = target.securityGroups.length ? ` --security-groups ${target.securityGroups.join(' ')}` : '';
      steps.push(
        `Add a mount target like ${target.id}${target.availabilityZone ? ` (${target.availabilityZone})` : ''}: aws efs create-mount-target --file-system-id "$NEW_FS" --subnet-id ${target.subnetId}${groups}${at}`,
      );
    }
    const [first] = mountTargets;
    if (first) {
      const ec2Config = `SubnetArn=${ec2Arn('subnet', first.subnetId)},SecurityGroupArns=${first.securityGroups.map((group) => ec2Arn('security-group', group)).join(',') || '<security group ARN>'}`;
      steps.push(
        `Copy the data with AWS DataSync once the mount targets are available: SRC=$(aws datasync create-location-efs --efs-filesystem-arn ${fileSystem.FileSystemArn} --ec2-config ${ec2Config} --query LocationArn --output text${at}) && ` +
          `DST=$(aws datasync create-location-efs --efs-filesystem-arn "${newFileSystemArn}" --ec2-config ${ec2Config} --query LocationArn --output text${at}) && ` +
          `TASK=$(aws datasync create-task --source-location-arn "$SRC" --destination-location-arn "$DST" --name ${token} --query TaskArn --output text${at}) && ` +
          `aws datasync start-task-execution --task-arn "$TASK"${at}. ` +
          `Or from an instance that mounts both: sudo mount -t efs ${id}:/ /mnt/old && sudo mount -t efs "$NEW_FS":/ /mnt/new && sudo rsync -aHAX --numeric-ids /mnt/old/ /mnt/new/`,
      );
    }
  } else {
    steps.push(
      `${id} has no mount targets: add one to each file system in a subnet that can reach them (aws efs create-mount-target --file-system-id <id> --subnet-id <subnet>${at}), ` +
        'then copy the data with AWS DataSync (create-location-efs for both, create-task, start-task-execution) or mount both and rsync -aHAX --numeric-ids.',
    );
  }
  steps.push(
    `Stop the writers to ${id}, run the copy once more (DataSync: aws datasync start-task-execution --task-arn "$TASK"${at}; it moves only what changed), ` +
      `then switch every client to "$NEW_FS": /etc/fstab entries, ECS task definitions (efsVolumeConfiguration.fileSystemId), EKS PersistentVolumes (volumeHandle), ` +
      `Lambda file system configs (access point ARNs), and remount.`,
    'Verify the applications read and write on the new file system.',
    `Once verified, delete the old file system (a person's call): its mount targets first (` +
      (mountTargets.length
        ? mountTargets.map((target) => `aws efs delete-mount-target --mount-target-id ${target.id}${at}`).join('; ')
        : 'none now') +
      `), then aws efs delete-file-system --file-system-id ${id}${at}; and the DataSync task and locations if you made them.`,
  );
  return steps;
};
