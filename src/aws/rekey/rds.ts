import { createHash } from 'node:crypto';
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DBClusterNotFoundFault,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/** On a copy: the snapshot it was copied from. */
export const rekeyOfTag = 'kms-warden:rekey-of';
/**
 * On a snapshot taken of an instance or cluster to copy it: that resource. Inventory leaves these out (a step, not a
 * resource).
 */
export const snapshotForRekeyOfTag = 'kms-warden:snapshot-for-rekey-of';
/** The key a snapshot or copy was made for. */
export const rekeyToTag = 'kms-warden:rekey-to';

// CreateDBClusterSnapshot and CopyDBClusterSnapshot take at most 63 characters; every name here keeps to that.
const maxIdentifier = 63;

/**
 * The new key, short: names carry it so a later re-key of the same resource to another key never reuses this one's
 * snapshots.
 */
const keyTag = (keyArn: string) =>
  keyArn
    .slice(keyArn.lastIndexOf('/') + 1)
    .replace(/^mrk-/, '')
    .replace(/-/g, '')
    .slice(0, 8);

/**
 * `<prefix><id>-<key tag>`, deterministic; an id too long to fit is cut and ends in a hash of itself, so two ids never
 * share a name.
 */
const named = (prefix: string, id: string, newKeyArn: string, max = maxIdentifier): string => {
  const suffix = `-${keyTag(newKeyArn)}`;
  const room = max - prefix.length - suffix.length;
  const fitted =
    id.length <= room
      ? id
      : `${id.slice(0, room - 9).replace(/-+$/, '')}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
  return `${prefix}${fitted}${suffix}`;
};
/** The snapshot taken of an instance or cluster (under the old key), and its copy under the new key. */
export const rekeySnapshotName = (resourceId: string, newKeyArn: string) =>
  named('kms-warden-rekey-', resourceId, newKeyArn);
export const rekeyedCopyName = (resourceId: string, newKeyArn: string) =>
  named('kms-warden-rekeyed-', resourceId, newKeyArn);
/** The copy of a manual snapshot under the new key. */
export const snapshotCopyName = (snapshotId: string, newKeyArn: string) =>
  named('kms-warden-copy-', snapshotId, newKeyArn);

/** A DB instance identifier (63 characters at most) for the restored instance or the renamed old one. */
const withSuffix = (id: string, suffix: string) =>
  `${id.slice(0, maxIdentifier - suffix.length).replace(/-+$/, '')}${suffix}`;

interface SnapshotView {
  id: string;
  status: string;
  kmsKeyId: string | undefined;
  createdAt: Date | undefined;
  tags: Tag[];
}

/** DB snapshots and DB cluster snapshots behave alike here; these are the calls and CLI words that differ. */
interface SnapshotCalls {
  noun: 'DB snapshot' | 'DB cluster snapshot';
  wait: (id: string) => string;
  remove: (id: string) => string;
  describe(client: RDSClient, id: string): Promise<SnapshotView | undefined>;
  create(client: RDSClient, resourceId: string, id: string, tags: Tag[]): Promise<SnapshotView>;
  copy(client: RDSClient, sourceId: string, id: string, newKeyArn: string, tags: Tag[]): Promise<SnapshotView>;
  isAlreadyThere(error: unknown): boolean;
}

const fromDbSnapshot = (snapshot: DBSnapshot | undefined, id: string): SnapshotView => ({
  id: snapshot?.DBSnapshotIdentifier ?? id,
  status: snapshot?.Status ?? 'creating',
  kmsKeyId: snapshot?.KmsKeyId,
  createdAt: snapshot?.SnapshotCreateTime,
  tags: snapshot?.TagList ?? [],
});
const fromClusterSnapshot = (snapshot: DBClusterSnapshot | undefined, id: string): SnapshotView => ({
  id: snapshot?.DBClusterSnapshotIdentifier ?? id,
  status: snapshot?.Status ?? 'creating',
  kmsKeyId: snapshot?.KmsKeyId,
  createdAt: snapshot?.SnapshotCreateTime,
  tags: snapshot?.TagList ?? [],
});

const dbSnapshots: SnapshotCalls = {
  noun: 'DB snapshot',
  wait: (id) => `aws rds wait db-snapshot-available --db-snapshot-identifier ${id}`,
  remove: (id) => `aws rds delete-db-snapshot --db-snapshot-identifier ${id}`,
  describe: async (client, id) => {
    try {
      const { DBSnapshots } = await client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
      return DBSnapshots?.[0] ? fromDbSnapshot(DBSnapshots[0], id) : undefined;
    } catch (error) {
      if (error instanceof DBSnapshotNotFoundFault) return undefined;
      throw error;
    }
  },
  create: async (client, resourceId, id, tags) =>
    fromDbSnapshot(
      (
        await client.send(
          new CreateDBSnapshotCommand({ DBInstanceIdentifier: resourceId, DBSnapshotIdentifier: id, Tags: tags }),
        )
      ).DBSnapshot,
      id,
    ),
  copy: async (client, sourceId, id, newKeyArn, tags) =>
    fromDbSnapshot(
      (
        await client.send(
          new CopyDBSnapshotCommand({
            SourceDBSnapshotIdentifier: sourceId,
            TargetDBSnapshotIdentifier: id,
            KmsKeyId: newKeyArn,
            Tags: tags,
          }),
        )
      ).DBSnapshot,
      id,
    ),
  isAlreadyThere: (error) => error instanceof DBSnapshotAlreadyExistsFault,
};

const clusterSnapshots: SnapshotCalls = {
  noun: 'DB cluster snapshot',
  wait: (id) => `aws rds wait db-cluster-snapshot-available --db-cluster-snapshot-identifier ${id}`,
  remove: (id) => `aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier ${id}`,
  describe: async (client, id) => {
    try {
      const { DBClusterSnapshots } = await client.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }),
      );
      return DBClusterSnapshots?.[0] ? fromClusterSnapshot(DBClusterSnapshots[0], id) : undefined;
    } catch (error) {
      if (error instanceof DBClusterSnapshotNotFoundFault) return undefined;
      throw error;
    }
  },
  create: async (client, resourceId, id, tags) =>
    fromClusterSnapshot(
      (
        await client.send(
          new CreateDBClusterSnapshotCommand({
            DBClusterIdentifier: resourceId,
            DBClusterSnapshotIdentifier: id,
            Tags: tags,
          }),
        )
      ).DBClusterSnapshot,
      id,
    ),
  copy: async (client, sourceId, id, newKeyArn, tags) =>
    fromClusterSnapshot(
      (
        await client.send(
          new CopyDBClusterSnapshotCommand({
            SourceDBClusterSnapshotIdentifier: sourceId,
            TargetDBClusterSnapshotIdentifier: id,
            KmsKeyId: newKeyArn,
            Tags: tags,
          }),
        )
      ).DBClusterSnapshot,
      id,
    ),
  isAlreadyThere: (error) => error instanceof DBClusterSnapshotAlreadyExistsFault,
};

const toTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const hasTag = (tags: Tag[] | undefined, key: string) => (tags ?? []).some((tag) => tag.Key === key);
/** A copy keeps the source's own tags (RDS allows 50); the marks come first so they are never the ones cut. */
const copyTags = (source: Tag[], marks: Record<string, string>): Tag[] =>
  [
    ...toTags(marks),
    ...source.filter((tag) => tag.Key && !tag.Key.startsWith('aws:') && !tag.Key.startsWith('kms-warden:')),
  ].slice(0, 50);

type NeedsHuman = Extract<ReEncryptOutcome, { status: 'needs-human' }>;

/**
 * RDS DB instances and clusters (Aurora, Multi-AZ clusters) under the old key, and their manual snapshots. RDS cannot
 * change the key of a database or a snapshot: a snapshot is copied under the new key (CopyDBSnapshot /
 * CopyDBClusterSnapshot); a database is snapshotted, the snapshot copied, and a person restores from the copy and
 * cuts over. Snapshots and copies have deterministic names, so a resumed run finds what an earlier one made.
 */
export class RdsReEncrypter implements ServiceReEncrypter {
  readonly service = 'rds' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = [
    'rds:DescribeDBInstances',
    'rds:DescribeDBClusters',
    'rds:DescribeDBSnapshots',
    'rds:DescribeDBClusterSnapshots',
  ] as const;
  readonly iamActions = [
    'rds:DescribeDBInstances',
    'rds:DescribeDBClusters',
    'rds:DescribeDBSnapshots',
    'rds:DescribeDBClusterSnapshots',
    'rds:CreateDBSnapshot',
    'rds:CreateDBClusterSnapshot',
    'rds:CopyDBSnapshot',
    'rds:CopyDBClusterSnapshot',
    // Tags on CreateDBSnapshot, CopyDBSnapshot and their cluster forms are authorised as rds:AddTagsToResource.
    'rds:AddTagsToResource',
    // RDS "AWS KMS key management" (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html):
    // CreateGrant and DescribeKey on the keys.
    'kms:CreateGrant',
    'kms:DescribeKey',
  ] as const;

  constructor(private readonly clientIn: (region: string) => RDSClient) {}

  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const client = this.clientIn(region);
    const found: ProtectedResource[] = [];
    const add = (kind: string, id: string | undefined, detail: Record<string, string | number | boolean>) => {
      if (id) found.push({ service: this.service, kind, id, region, detail });
    };
    for await (const page of paginateDescribeDBInstances({ client }, {})) {
      for (const instance of page.DBInstances ?? []) {
        // A cluster member's storage is the cluster's: it moves with its cluster.
        if (!instance.StorageEncrypted || instance.DBClusterIdentifier || !namesOldKey(instance.KmsKeyId, oldKey))
          continue;
        add('db-instance', instance.DBInstanceIdentifier, {
          engine: instance.Engine ?? 'unknown',
          status: instance.DBInstanceStatus ?? 'unknown',
          ...(instance.DBInstanceClass ? { instanceClass: instance.DBInstanceClass } : {}),
          ...(instance.Endpoint?.Address ? { endpoint: instance.Endpoint.Address } : {}),
          ...(instance.ReadReplicaSourceDBInstanceIdentifier
            ? { readReplicaOf: instance.ReadReplicaSourceDBInstanceIdentifier }
            : {}),
        });
      }
    }
    for await (const page of paginateDescribeDBClusters({ client }, {})) {
      for (const cluster of page.DBClusters ?? []) {
        if (!cluster.StorageEncrypted || !namesOldKey(cluster.KmsKeyId, oldKey)) continue;
        add('db-cluster', cluster.DBClusterIdentifier, {
          engine: cluster.Engine ?? 'unknown',
          status: cluster.Status ?? 'unknown',
          members: (cluster.DBClusterMembers ?? []).length,
          ...(cluster.Endpoint ? { endpoint: cluster.Endpoint } : {}),
        });
      }
    }
    for await (const page of paginateDescribeDBSnapshots({ client }, { SnapshotType: 'manual' })) {
      for (const snapshot of page.DBSnapshots ?? []) {
        if (
          !snapshot.Encrypted ||
          !namesOldKey(snapshot.KmsKeyId, oldKey) ||
          hasTag(snapshot.TagList, snapshotForRekeyOfTag)
        )
          continue;
        add(
          'db-snapshot',
          snapshot.DBSnapshotIdentifier,
          snapshotDetail(snapshot.DBInstanceIdentifier, snapshot.Status, snapshot.SnapshotCreateTime),
        );
      }
    }
    for await (const page of paginateDescribeDBClusterSnapshots({ client }, { SnapshotType: 'manual' })) {
      for (const snapshot of page.DBClusterSnapshots ?? []) {
        if (
          !snapshot.StorageEncrypted ||
          !namesOldKey(snapshot.KmsKeyId, oldKey) ||
          hasTag(snapshot.TagList, snapshotForRekeyOfTag)
        )
          continue;
        add(
          'db-cluster-snapshot',
          snapshot.DBClusterSnapshotIdentifier,
          snapshotDetail(snapshot.DBClusterIdentifier, snapshot.Status, snapshot.SnapshotCreateTime),
        );
      }
    }
    return found;
  }

  async reEncrypt(resource: ProtectedResource, newKeyArn: string): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    switch (resource.kind) {
      case 'db-snapshot':
        return this.reEncryptSnapshot(dbSnapshots, client, resource.region, resource.id, newKeyArn);
      case 'db-cluster-snapshot':
        return this.reEncryptSnapshot(clusterSnapshots, client, resource.region, resource.id, newKeyArn);
      case 'db-instance':
        return this.reEncryptInstance(client, resource.region, resource.id, newKeyArn);
      case 'db-cluster':
        return this.reEncryptCluster(client, resource.region, resource.id, newKeyArn);
      default:
        throw new Error(`RDS cannot re-encrypt a ${resource.kind} (${resource.id})`);
    }
  }

  private async reEncryptSnapshot(
    calls: SnapshotCalls,
    client: RDSClient,
    region: string,
    snapshotId: string,
    newKeyArn: string,
  ): Promise<ReEncryptOutcome> {
    const source = await calls.describe(client, snapshotId);
    if (!source) return { status: 'skipped', detail: `${calls.noun} ${snapshotId} no longer exists` };
    if (namesKey(source.kmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `${calls.noun} ${snapshotId} is already on ${newKeyArn}` };
    const copyId = snapshotCopyName(snapshotId, newKeyArn);
    const copy = await this.copied(calls, client, region, source, copyId, newKeyArn);
    if ('instructions' in copy) return copy;
    const notes = [
      `${snapshotId} still exists under the old key. Once ${copyId} is verified, delete the old snapshot (deleting data is a person's call): ` +
        `${calls.remove(snapshotId)} --region ${region}`,
    ];
    if (copy.status !== 'available')
      notes.unshift(
        `The copy is ${copy.status}: it is usable once available (${calls.wait(copyId)} --region ${region}).`,
      );
    return {
      status: 're-encrypted',
      detail: `${calls.noun} ${snapshotId} copied to ${copyId} under ${newKeyArn}`,
      notes,
    };
  }

  private async reEncryptInstance(
    client: RDSClient,
    region: string,
    instanceId: string,
    newKeyArn: string,
  ): Promise<ReEncryptOutcome> {
    const instance = await this.instance(client, instanceId);
    if (!instance || instance.DBInstanceStatus === 'deleting')
      return { status: 'skipped', detail: `DB instance ${instanceId} no longer exists` };
    if (namesKey(instance.KmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `DB instance ${instanceId} is already on ${newKeyArn}` };
    if (instance.ReadReplicaSourceDBInstanceIdentifier) return replicaPlan(instance, region, newKeyArn);

    const moved = await this.snapshotAndCopy(
      dbSnapshots,
      client,
      region,
      instanceId,
      instance.DBInstanceStatus,
      newKeyArn,
      'db-instance',
    );
    if ('instructions' in moved) return moved;
    return {
      status: 'needs-human',
      detail: `DB instance ${instanceId} was snapshotted (${moved.snapshot.id}) and copied under the new key (${moved.copy.id}); a person restores and cuts over`,
      instructions: instanceCutover(instance, region, moved.snapshot, moved.copy.id),
    };
  }

  private async reEncryptCluster(
    client: RDSClient,
    region: string,
    clusterId: string,
    newKeyArn: string,
  ): Promise<ReEncryptOutcome> {
    const cluster = await this.cluster(client, clusterId);
    if (!cluster || cluster.Status === 'deleting')
      return { status: 'skipped', detail: `DB cluster ${clusterId} no longer exists` };
    if (namesKey(cluster.KmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `DB cluster ${clusterId} is already on ${newKeyArn}` };

    const moved = await this.snapshotAndCopy(
      clusterSnapshots,
      client,
      region,
      clusterId,
      cluster.Status,
      newKeyArn,
      'db-cluster',
    );
    if ('instructions' in moved) return moved;
    const members = await this.membersOf(client, clusterId);
    return {
      status: 'needs-human',
      detail: `DB cluster ${clusterId} was snapshotted (${moved.snapshot.id}) and copied under the new key (${moved.copy.id}); a person restores and cuts over`,
      instructions: clusterCutover(cluster, members, region, newKeyArn, moved.snapshot, moved.copy.id),
    };
  }

  /**
   * Step one of moving a database: its snapshot under the old key (taken once), then the copy under the new key (made
   * once).
   */
  private async snapshotAndCopy(
    calls: SnapshotCalls,
    client: RDSClient,
    region: string,
    resourceId: string,
    resourceStatus: string | undefined,
    newKeyArn: string,
    kind: 'db-instance' | 'db-cluster',
  ): Promise<{ snapshot: SnapshotView; copy: SnapshotView } | NeedsHuman> {
    const snapshotId = rekeySnapshotName(resourceId, newKeyArn);
    let snapshot = await calls.describe(client, snapshotId);
    if (!snapshot) {
      if (resourceStatus !== 'available') {
        return {
          status: 'needs-human',
          detail: `${kind} ${resourceId} is ${resourceStatus ?? 'in an unknown state'}: RDS snapshots it only when available`,
          instructions: [
            `Wait for it: aws rds wait ${kind}-available --${kind}-identifier ${resourceId} --region ${region}`,
            'Then run this re-key step again.',
          ],
        };
      }
      const tags = toTags({ [snapshotForRekeyOfTag]: resourceId, [rekeyToTag]: newKeyArn });
      snapshot = await this.createdOnce(calls, client, snapshotId, () =>
        calls.create(client, resourceId, snapshotId, tags),
      );
    }
    const copy = await this.copied(calls, client, region, snapshot, rekeyedCopyName(resourceId, newKeyArn), newKeyArn);
    return 'instructions' in copy ? copy : { snapshot, copy };
  }

  /** The copy of `source` named `copyId`: the one an earlier run made, or a new one once the source is available. */
  private async copied(
    calls: SnapshotCalls,
    client: RDSClient,
    region: string,
    source: SnapshotView,
    copyId: string,
    newKeyArn: string,
  ): Promise<SnapshotView | NeedsHuman> {
    const earlier = await calls.describe(client, copyId);
    if (earlier) {
      if (namesKey(earlier.kmsKeyId, newKeyArn)) return earlier;
      return {
        status: 'needs-human',
        detail: `${calls.noun} ${copyId} exists but is under ${earlier.kmsKeyId ?? 'no key'}, not ${newKeyArn}`,
        instructions: [
          `Find out who made ${copyId} (aws rds list-tags-for-resource), delete or rename it, and run this re-key step again.`,
        ],
      };
    }
    if (source.status !== 'available') {
      return {
        status: 'needs-human',
        detail: `${calls.noun} ${source.id} is ${source.status}: RDS copies only an available snapshot`,
        instructions: [`Wait for it: ${calls.wait(source.id)} --region ${region}`, 'Then run this re-key step again.'],
      };
    }
    const tags = copyTags(source.tags, { [rekeyOfTag]: source.id, [rekeyToTag]: newKeyArn });
    return this.createdOnce(calls, client, copyId, () => calls.copy(client, source.id, copyId, newKeyArn, tags));
  }

  /** Two runs racing to make the same name: the loser reads what the winner made. */
  private async createdOnce(
    calls: SnapshotCalls,
    client: RDSClient,
    id: string,
    make: () => Promise<SnapshotView>,
  ): Promise<SnapshotView> {
    try {
      return await make();
    } catch (error) {
      if (!calls.isAlreadyThere(error)) throw error;
      const made = await calls.describe(client, id);
      if (!made) throw error;
      return made;
    }
  }

  private async instance(client: RDSClient, id: string): Promise<DBInstance | undefined> {
    try {
      return (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    } catch (error) {
      if (error instanceof DBInstanceNotFoundFault) return undefined;
      throw error;
    }
  }

  private async cluster(client: RDSClient, id: string): Promise<DBCluster | undefined> {
    try {
      return (await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
    } catch (error) {
      if (error instanceof DBClusterNotFoundFault) return undefined;
      throw error;
    }
  }

  /** The cluster's instances, writer first: the restored cluster needs the same ones. */
  private async membersOf(client: RDSClient, clusterId: string): Promise<DBInstance[]> {
    const members: DBInstance[] = [];
    for await (const page of paginateDescribeDBInstances(
      { client },
      { Filters: [{ Name: 'db-cluster-id', Values: [clusterId] }] },
    )) {
      members.push(...(page.DBInstances ?? []));
    }
    return members;
  }
}

const snapshotDetail = (
  source: string | undefined,
  status: string | undefined,
  createdAt: Date | undefined,
): Record<string, string> => ({
  status: status ?? 'unknown',
  ...(source ? { source } : {}),
  ...(createdAt ? { createdAt: createdAt.toISOString() } : {}),
});

const dataAsOf = (what: string, snapshot: SnapshotView, copyId: string, calls: SnapshotCalls, region: string) =>
  `The copy holds ${what} as it was at ${snapshot.createdAt?.toISOString() ?? 'the snapshot time'}; later writes are not in it. For a database that ` +
  `takes writes, stop them first (maintenance mode), delete ${copyId} and ${snapshot.id} (${calls.remove('<id>')} --region ${region}), ` +
  'and run this re-key step again so the copy is taken after the last write.';

const instanceCutover = (instance: DBInstance, region: string, snapshot: SnapshotView, copyId: string): string[] => {
  const id = instance.DBInstanceIdentifier ?? '?';
  const restored = withSuffix(id, '-rekeyed');
  const retired = withSuffix(id, '-old');
  const at = ` --region ${region}`;
  const securityGroups = (instance.VpcSecurityGroups ?? []).map((group) => group.VpcSecurityGroupId).filter(Boolean);
  const restore = [
    `aws rds restore-db-instance-from-db-snapshot --db-instance-identifier ${restored} --db-snapshot-identifier ${copyId}`,
    instance.DBInstanceClass ? ` --db-instance-class ${instance.DBInstanceClass}` : '',
    instance.DBSubnetGroup?.DBSubnetGroupName
      ? ` --db-subnet-group-name ${instance.DBSubnetGroup.DBSubnetGroupName}`
      : '',
    securityGroups.length ? ` --vpc-security-group-ids ${securityGroups.join(' ')}` : '',
    instance.DBParameterGroups?.[0]?.DBParameterGroupName
      ? ` --db-parameter-group-name ${instance.DBParameterGroups[0].DBParameterGroupName}`
      : '',
    instance.MultiAZ ? ' --multi-az' : ' --no-multi-az',
    instance.PubliclyAccessible ? ' --publicly-accessible' : ' --no-publicly-accessible',
    instance.DeletionProtection ? ' --deletion-protection' : '',
    at,
  ].join('');
  return [
    dataAsOf(`DB instance ${id}`, snapshot, copyId, dbSnapshots, region),
    `Wait for the copy: ${dbSnapshots.wait(copyId)}${at}`,
    `Restore a new instance from the copy (it is encrypted under the copy's key, the new one): ${restore} && aws rds wait db-instance-available --db-instance-identifier ${restored}${at}`,
    `Compare ${restored} with ${id} for what a restore does not carry over (backup retention, option group, monitoring, Performance Insights, IAM roles, log exports, read replicas): aws rds describe-db-instances --db-instance-identifier ${id}${at}`,
    `Cut over: point the application at ${restored}'s endpoint (aws rds describe-db-instances --db-instance-identifier ${restored} --query 'DBInstances[0].Endpoint.Address' --output text${at}), ` +
      `or give it the old name so the endpoint stays the same: aws rds modify-db-instance --db-instance-identifier ${id} --new-db-instance-identifier ${retired} --apply-immediately${at}, ` +
      `wait until the rename is done, then aws rds modify-db-instance --db-instance-identifier ${restored} --new-db-instance-identifier ${id} --apply-immediately${at}`,
    'Verify the application reads and writes through the new instance.',
    `Once verified, delete the old instance (a person's call; a final snapshot would be under the old key, so skip it)` +
      (instance.DeletionProtection
        ? `, turning off its deletion protection first (aws rds modify-db-instance --db-instance-identifier <old> --no-deletion-protection --apply-immediately${at})`
        : '') +
      `: aws rds delete-db-instance --db-instance-identifier <${id} or ${retired} after a rename> --skip-final-snapshot${at}`,
    `Delete the snapshot taken of it, also under the old key: ${dbSnapshots.remove(snapshot.id)}${at}. ${copyId} (under the new key) can stay as a backup or be deleted.`,
  ];
};

const clusterCutover = (
  cluster: DBCluster,
  members: DBInstance[],
  region: string,
  newKeyArn: string,
  snapshot: SnapshotView,
  copyId: string,
): string[] => {
  const id = cluster.DBClusterIdentifier ?? '?';
  const restored = withSuffix(id, '-rekeyed');
  const retired = withSuffix(id, '-old');
  const at = ` --region ${region}`;
  const securityGroups = (cluster.VpcSecurityGroups ?? []).map((group) => group.VpcSecurityGroupId).filter(Boolean);
  const restore = [
    `aws rds restore-db-cluster-from-snapshot --db-cluster-identifier ${restored} --snapshot-identifier ${copyId} --engine ${cluster.Engine ?? '<engine>'}`,
    cluster.EngineVersion ? ` --engine-version ${cluster.EngineVersion}` : '',
    ` --kms-key-id ${newKeyArn}`,
    cluster.DBSubnetGroup ? ` --db-subnet-group-name ${cluster.DBSubnetGroup}` : '',
    securityGroups.length ? ` --vpc-security-group-ids ${securityGroups.join(' ')}` : '',
    cluster.DBClusterParameterGroup ? ` --db-cluster-parameter-group-name ${cluster.DBClusterParameterGroup}` : '',
    cluster.DeletionProtection ? ' --deletion-protection' : '',
    at,
  ].join('');
  const writerFirst = [...members].sort((a, b) => Number(isWriter(cluster, b)) - Number(isWriter(cluster, a)));
  const addInstances = writerFirst.length
    ? writerFirst.map(
        (member) =>
          `Add ${isWriter(cluster, member) ? 'the writer' : 'a reader'} like ${member.DBInstanceIdentifier}: aws rds create-db-instance --db-cluster-identifier ${restored} ` +
          `--db-instance-identifier ${withSuffix(member.DBInstanceIdentifier ?? 'instance', '-rekeyed')} --db-instance-class ${member.DBInstanceClass ?? '<class>'} ` +
          `--engine ${cluster.Engine ?? '<engine>'}${at}`,
      )
    : [
        `${id} has no DB instances listed: give ${restored} the capacity ${id} has (Serverless v2 scaling, or instances with aws rds create-db-instance --db-cluster-identifier ${restored}).`,
      ];
  return [
    dataAsOf(`DB cluster ${id}`, snapshot, copyId, clusterSnapshots, region),
    `Wait for the copy: ${clusterSnapshots.wait(copyId)}${at}`,
    `Restore a new cluster from the copy under the new key: ${restore}`,
    ...addInstances,
    `Wait for it: aws rds wait db-cluster-available --db-cluster-identifier ${restored}${at}; then compare it with ${id} for what a restore does not carry over ` +
      `(backup retention, monitoring, IAM roles, log exports, custom endpoints): aws rds describe-db-clusters --db-cluster-identifier ${id}${at}`,
    `Cut over: point the application at ${restored}'s endpoints (aws rds describe-db-clusters --db-cluster-identifier ${restored} --query 'DBClusters[0].[Endpoint,ReaderEndpoint]' --output text${at}), ` +
      `or give it the old name so the endpoints stay the same: aws rds modify-db-cluster --db-cluster-identifier ${id} --new-db-cluster-identifier ${retired} --apply-immediately${at}, ` +
      `wait until the rename is done, then aws rds modify-db-cluster --db-cluster-identifier ${restored} --new-db-cluster-identifier ${id} --apply-immediately${at}`,
    'Verify the application reads and writes through the new cluster.',
    `Once verified, delete the old cluster (a person's call; a final snapshot would be under the old key, so skip it): first its instances` +
      (members.length
        ? ` (${members.map((member) => `aws rds delete-db-instance --db-instance-identifier ${member.DBInstanceIdentifier}${at}`).join('; ')})`
        : '') +
      (cluster.DeletionProtection
        ? `, then its deletion protection (aws rds modify-db-cluster --db-cluster-identifier <old> --no-deletion-protection --apply-immediately${at})`
        : '') +
      `, then aws rds delete-db-cluster --db-cluster-identifier <${id} or ${retired} after a rename> --skip-final-snapshot${at}`,
    `Delete the snapshot taken of it, also under the old key: ${clusterSnapshots.remove(snapshot.id)}${at}. ${copyId} (under the new key) can stay as a backup or be deleted.`,
  ];
};

const isWriter = (cluster: DBCluster, instance: DBInstance) =>
  (cluster.DBClusterMembers ?? []).some(
    (member) => member.DBInstanceIdentifier === instance.DBInstanceIdentifier && member.IsClusterWriter,
  );

/**
 * A read replica in the source's Region is always under the source's key; one in another Region takes a key of its
 * own Region. Either way a new replica replaces it: nothing to snapshot.
 */
const replicaPlan = (replica: DBInstance, region: string, newKeyArn: string): NeedsHuman => {
  const id = replica.DBInstanceIdentifier ?? '?';
  const source = replica.ReadReplicaSourceDBInstanceIdentifier ?? '?';
  const restored = withSuffix(id, '-rekeyed');
  const at = ` --region ${region}`;
  const crossRegion = source.startsWith('arn:') && source.split(':')[3] !== region;
  const create =
    `aws rds create-db-instance-read-replica --db-instance-identifier ${restored} --source-db-instance-identifier ${source}` +
    `${replica.DBInstanceClass ? ` --db-instance-class ${replica.DBInstanceClass}` : ''}${crossRegion ? ` --kms-key-id ${newKeyArn}` : ''}${at}`;
  return {
    status: 'needs-human',
    detail: `DB instance ${id} is a read replica of ${source}: it is replaced by a new replica, not copied`,
    instructions: [
      crossRegion
        ? `${source} is in another Region: a new replica here can take the new key directly.`
        : `A replica in the same Region is always under its source's key: re-key ${source} first (its own re-key step), then make the new replica from the re-keyed source (use its identifier below if it changed).`,
      `Create the new replica: ${create} && aws rds wait db-instance-available --db-instance-identifier ${restored}${at}`,
      `Point readers at ${restored} (aws rds describe-db-instances --db-instance-identifier ${restored} --query 'DBInstances[0].Endpoint.Address' --output text${at}).`,
      `Once verified, delete the old replica (a person's call): aws rds delete-db-instance --db-instance-identifier ${id} --skip-final-snapshot${at}`,
    ],
  };
};
