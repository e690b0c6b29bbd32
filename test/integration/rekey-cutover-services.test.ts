import {
  AttachVolumeCommand,
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DescribeFileSystemsCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { CreateClusterCommand, DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { EbsReEncrypter, rekeyOfTag, rekeyToTag, snapshotForRekeyOfTag } from '../../src/aws/rekey/ebs';
import { EfsReEncrypter } from '../../src/aws/rekey/efs';
import { RdsReEncrypter, rekeyedCopyName, rekeySnapshotName, snapshotCopyName } from '../../src/aws/rekey/rds';
import { RedshiftReEncrypter } from '../../src/aws/rekey/redshift';
import type {
  OldKey,
  ProtectedResource,
  ReEncryptOutcome,
  ServiceReEncrypter,
} from '../../src/rekey/protected-resource';
import { perRegion } from '../../src/aws/clients';
import { useMoto } from '../support/moto';

/*
 * What moto (5.2) supports and lacks, found by trying it:
 * - EC2: CopySnapshot with Encrypted+KmsKeyId records the new key on the copy, and TagSpecifications and tag filters
 *   work. CreateSnapshot does not record the volume's KmsKeyId on the snapshot, so an old-key snapshot is seeded
 *   here as a CopySnapshot onto the old key. Snapshots are 'completed' at once: the 'pending' path (run the step
 *   again) and archived snapshots (StorageTier) cannot be reached. DescribeSnapshots ignores MaxResults (one page);
 *   volume attachments carry no DeleteOnTermination.
 * - RDS: CopyDBSnapshot and CopyDBClusterSnapshot with KmsKeyId record the new key; snapshots report TagList and are
 *   'available' at once, so the 'creating' path cannot be reached.
 * - EFS: KmsKeyId is kept as given; DescribeMountTargetSecurityGroups returns no groups.
 * - Redshift: KmsKeyId is kept as given (ModifyCluster ignores a new KmsKeyId, but the adapter never calls it).
 */

const region = 'us-east-1';
const byKindAndId = (resources: ProtectedResource[]) => resources.map(({ kind, id }) => `${kind} ${id}`).sort();
const asNeedsHuman = (outcome: ReEncryptOutcome) => {
  expect(outcome.status).toBe('needs-human');
  return outcome as Extract<ReEncryptOutcome, { status: 'needs-human' }>;
};
const text = (outcome: Extract<ReEncryptOutcome, { status: 'needs-human' }>) => outcome.instructions.join('\n');

describe('re-keying services that copy and cut over (EBS, RDS, EFS, Redshift) against moto', () => {
  const moto = useMoto();
  /** The re-key step's clients: a session of its role, per Region. */
  let asRekey: {
    ec2: (region: string) => EC2Client;
    rds: (region: string) => RDSClient;
    efs: (region: string) => EFSClient;
    redshift: (region: string) => RedshiftClient;
  };
  let ec2: EC2Client;
  let rds: RDSClient;
  let efs: EFSClient;
  let redshift: RedshiftClient;
  let oldKey: OldKey;
  let oldKeyId: string;
  let newKeyArn: string;
  let otherKeyArn: string;
  const seeded = {
    oldVolume: '',
    oldVolumeById: '',
    otherVolume: '',
    oldSnapshot: '',
    otherSnapshot: '',
    instance: '',
    oldFileSystem: '',
    otherFileSystem: '',
    subnet: '',
  };

  beforeAll(async () => {
    ec2 = new EC2Client({});
    rds = new RDSClient({});
    efs = new EFSClient({});
    redshift = new RedshiftClient({});
    asRekey = await moto.asFunction('rekeyStep', () => ({
      ec2: perRegion((c) => new EC2Client(c)),
      rds: perRegion((c) => new RDSClient(c)),
      efs: perRegion((c) => new EFSClient(c)),
      redshift: perRegion((c) => new RedshiftClient(c)),
    }));
    const kms = new KMSClient({});
    const key = async () => (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const old = await key();
    oldKey = { keyArn: old.Arn!, aliases: ['alias/payments'] };
    oldKeyId = old.KeyId!;
    newKeyArn = (await key()).Arn!;
    otherKeyArn = (await key()).Arn!;

    const volume = async (KmsKeyId: string) =>
      (
        await ec2.send(
          new CreateVolumeCommand({
            AvailabilityZone: `${region}a`,
            Size: 8,
            VolumeType: 'gp3',
            Encrypted: true,
            KmsKeyId,
          }),
        )
      ).VolumeId!;
    seeded.oldVolume = await volume(oldKey.keyArn);
    seeded.oldVolumeById = await volume(oldKeyId);
    seeded.otherVolume = await volume(otherKeyArn);
    const [image] = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images!;
    seeded.instance = (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: image!.ImageId!,
          MinCount: 1,
          MaxCount: 1,
          InstanceType: 't3.micro',
          Placement: { AvailabilityZone: `${region}a` },
        }),
      )
    ).Instances![0]!.InstanceId!;
    await ec2.send(
      new AttachVolumeCommand({ VolumeId: seeded.oldVolume, InstanceId: seeded.instance, Device: '/dev/sdf' }),
    );
    // moto's CreateSnapshot leaves KmsKeyId off the snapshot: a copy onto the key makes one that names it.
    const snapshotOn = async (KmsKeyId: string) => {
      const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: seeded.otherVolume }));
      return (
        await ec2.send(
          new CopySnapshotCommand({ SourceSnapshotId: SnapshotId, SourceRegion: region, Encrypted: true, KmsKeyId }),
        )
      ).SnapshotId!;
    };
    seeded.oldSnapshot = await snapshotOn(oldKey.keyArn);
    seeded.otherSnapshot = await snapshotOn(otherKeyArn);

    const instance = (DBInstanceIdentifier: string, KmsKeyId: string) =>
      rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier,
          DBInstanceClass: 'db.t3.micro',
          Engine: 'postgres',
          MasterUsername: 'owner',
          MasterUserPassword: 'not-a-real-password',
          AllocatedStorage: 20,
          StorageEncrypted: true,
          KmsKeyId,
        }),
      );
    await instance('orders', oldKey.keyArn);
    await instance('audit', otherKeyArn);
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders', DBSnapshotIdentifier: 'orders-nightly' }),
    );
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'audit', DBSnapshotIdentifier: 'audit-nightly' }),
    );
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'ledger',
        Engine: 'aurora-postgresql',
        MasterUsername: 'owner',
        MasterUserPassword: 'not-a-real-password',
        StorageEncrypted: true,
        KmsKeyId: oldKey.keyArn,
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'ledger-writer',
        DBClusterIdentifier: 'ledger',
        DBInstanceClass: 'db.r6g.large',
        Engine: 'aurora-postgresql',
      }),
    );
    await rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: 'ledger',
        DBClusterSnapshotIdentifier: 'ledger-weekly',
      }),
    );

    const fileSystem = async (CreationToken: string, KmsKeyId: string) =>
      (
        await efs.send(
          new CreateFileSystemCommand({
            CreationToken,
            Encrypted: true,
            KmsKeyId,
            PerformanceMode: 'generalPurpose',
            ThroughputMode: 'elastic',
          }),
        )
      ).FileSystemId!;
    seeded.oldFileSystem = await fileSystem('shared-home', oldKey.keyArn);
    seeded.otherFileSystem = await fileSystem('scratch', otherKeyArn);
    seeded.subnet = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets![0]!.SubnetId!;
    await efs.send(new CreateMountTargetCommand({ FileSystemId: seeded.oldFileSystem, SubnetId: seeded.subnet }));

    const warehouse = (ClusterIdentifier: string, KmsKeyId: string) =>
      redshift.send(
        new CreateClusterCommand({
          ClusterIdentifier,
          NodeType: 'ra3.xlplus',
          MasterUsername: 'owner',
          MasterUserPassword: 'NotARealPassw0rd',
          Encrypted: true,
          KmsKeyId,
        }),
      );
    await warehouse('warehouse', oldKey.keyArn);
    await warehouse('sandbox', otherKeyArn);
  });

  // Through the interface, as the re-key workflow calls them.
  const ebs = (): ServiceReEncrypter => new EbsReEncrypter(asRekey.ec2);
  const rdsAdapter = (): ServiceReEncrypter => new RdsReEncrypter(asRekey.rds);
  const efsAdapter = (): ServiceReEncrypter => new EfsReEncrypter(asRekey.efs);
  const redshiftAdapter = (): ServiceReEncrypter => new RedshiftReEncrypter(asRekey.redshift);
  const resource = (service: ProtectedResource['service'], kind: string, id: string): ProtectedResource => ({
    service,
    kind,
    id,
    region,
  });
  const encryptedSnapshots = async () =>
    (
      await ec2.send(
        new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'encrypted', Values: ['true'] }] }),
      )
    ).Snapshots ?? [];
  const dbSnapshotIds = async () =>
    ((await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }))).DBSnapshots ?? [])
      .map((s) => s.DBSnapshotIdentifier)
      .sort();

  describe('inventory finds exactly what the old key protects, by ARN or bare id', () => {
    it('EBS: volumes and own snapshots', async () => {
      expect(byKindAndId(await ebs().inventory(oldKey, region))).toEqual(
        [`volume ${seeded.oldVolume}`, `volume ${seeded.oldVolumeById}`, `snapshot ${seeded.oldSnapshot}`].sort(),
      );
    });

    it('RDS: instances, clusters and their manual snapshots; a cluster member moves with its cluster', async () => {
      expect(byKindAndId(await rdsAdapter().inventory(oldKey, region))).toEqual(
        [
          'db-instance orders',
          'db-snapshot orders-nightly',
          'db-cluster ledger',
          'db-cluster-snapshot ledger-weekly',
        ].sort(),
      );
    });

    it('EFS: file systems', async () => {
      expect(byKindAndId(await efsAdapter().inventory(oldKey, region))).toEqual([
        `file-system ${seeded.oldFileSystem}`,
      ]);
    });

    it('Redshift: clusters', async () => {
      expect(byKindAndId(await redshiftAdapter().inventory(oldKey, region))).toEqual(['cluster warehouse']);
    });
  });

  describe('EBS', () => {
    it('copies a snapshot under the new key once, however often the step runs, and leaves the old one to a person', async () => {
      const snapshot = resource('ebs', 'snapshot', seeded.oldSnapshot);
      const before = (await encryptedSnapshots()).length;

      const first = await ebs().reEncrypt(snapshot, newKeyArn, oldKey);
      expect(first).toMatchObject({ status: 're-encrypted', detail: expect.stringContaining(seeded.oldSnapshot) });
      const [copy, ...more] = (await encryptedSnapshots()).filter((s) =>
        s.Tags?.some((tag) => tag.Key === rekeyOfTag && tag.Value === seeded.oldSnapshot),
      );
      expect(more).toEqual([]);
      expect(copy).toMatchObject({ KmsKeyId: newKeyArn, Encrypted: true });
      expect(copy!.Tags).toEqual(expect.arrayContaining([{ Key: rekeyToTag, Value: newKeyArn }]));
      expect((first as Extract<ReEncryptOutcome, { status: 're-encrypted' }>).detail).toContain(copy!.SnapshotId!);
      expect((first as Extract<ReEncryptOutcome, { status: 're-encrypted' }>).notes!.join('\n')).toContain(
        `aws ec2 delete-snapshot --snapshot-id ${seeded.oldSnapshot}`,
      );

      // Run again (a resumed run): the same copy, now completed, and no second one.
      const again = await ebs().reEncrypt(snapshot, newKeyArn, oldKey);
      expect(again).toMatchObject({ status: 're-encrypted', detail: first.detail });
      expect((await encryptedSnapshots()).length).toBe(before + 1);
      // The old snapshot is still there: deleting data is a person's call.
      expect((await encryptedSnapshots()).map((s) => s.SnapshotId)).toContain(seeded.oldSnapshot);
      expect(await ebs().reEncrypt(resource('ebs', 'snapshot', copy!.SnapshotId!), newKeyArn, oldKey)).toMatchObject({
        status: 'skipped',
      });
    });

    it('snapshots a volume and copies it under the new key once, then hands the swap to a person', async () => {
      const volume = resource('ebs', 'volume', seeded.oldVolume);
      const before = (await encryptedSnapshots()).length;

      const outcome = asNeedsHuman(await ebs().reEncrypt(volume, newKeyArn, oldKey));
      const [taken, ...moreTaken] = (await encryptedSnapshots()).filter((s) =>
        s.Tags?.some((tag) => tag.Key === snapshotForRekeyOfTag && tag.Value === seeded.oldVolume),
      );
      expect(moreTaken).toEqual([]);
      expect(taken!.VolumeId).toBe(seeded.oldVolume);
      const [copy, ...moreCopies] = (await encryptedSnapshots()).filter((s) =>
        s.Tags?.some((tag) => tag.Key === rekeyOfTag && tag.Value === taken!.SnapshotId),
      );
      expect(moreCopies).toEqual([]);
      expect(copy!.KmsKeyId).toBe(newKeyArn);

      const steps = text(outcome);
      expect(steps).toContain(
        `aws ec2 create-volume --snapshot-id ${copy!.SnapshotId} --availability-zone ${region}a --volume-type gp3 --iops 3000`,
      );
      expect(steps).toContain(`--encrypted --kms-key-id ${newKeyArn}`);
      expect(steps).toContain(`aws ec2 stop-instances --instance-ids ${seeded.instance}`);
      expect(steps).toContain(`aws ec2 detach-volume --volume-id ${seeded.oldVolume} --instance-id ${seeded.instance}`);
      expect(steps).toContain(
        `aws ec2 attach-volume --volume-id "$NEW_VOLUME" --instance-id ${seeded.instance} --device /dev/sdf`,
      );
      expect(steps).toContain(`aws ec2 delete-volume --volume-id ${seeded.oldVolume}`);
      expect(steps).toContain(`aws ec2 delete-snapshot --snapshot-id ${taken!.SnapshotId}`);

      expect(await ebs().reEncrypt(volume, newKeyArn, oldKey)).toEqual(outcome);
      expect((await encryptedSnapshots()).length).toBe(before + 2);
    });

    it('skips a volume that is gone', async () => {
      expect(await ebs().reEncrypt(resource('ebs', 'volume', 'vol-0000000000000dead'), newKeyArn, oldKey)).toEqual({
        status: 'skipped',
        detail: 'volume vol-0000000000000dead no longer exists',
      });
    });
  });

  describe('RDS', () => {
    it('copies a manual DB snapshot under the new key once', async () => {
      const snapshot = resource('rds', 'db-snapshot', 'orders-nightly');
      const copyId = snapshotCopyName('orders-nightly', newKeyArn);

      const first = await rdsAdapter().reEncrypt(snapshot, newKeyArn, oldKey);
      expect(first).toMatchObject({
        status: 're-encrypted',
        detail: `DB snapshot orders-nightly copied to ${copyId} under ${newKeyArn}`,
      });
      const [copy] = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: copyId }))).DBSnapshots!;
      expect(copy).toMatchObject({ KmsKeyId: newKeyArn, Encrypted: true });
      const snapshots = await dbSnapshotIds();

      expect(await rdsAdapter().reEncrypt(snapshot, newKeyArn, oldKey)).toEqual(first);
      expect(await dbSnapshotIds()).toEqual(snapshots);
      expect(snapshots).toContain('orders-nightly');
    });

    it('copies a manual DB cluster snapshot under the new key', async () => {
      const outcome = await rdsAdapter().reEncrypt(
        resource('rds', 'db-cluster-snapshot', 'ledger-weekly'),
        newKeyArn,
        oldKey,
      );
      const copyId = snapshotCopyName('ledger-weekly', newKeyArn);
      expect(outcome).toMatchObject({ status: 're-encrypted', detail: expect.stringContaining(copyId) });
      const [copy] = (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: copyId })))
        .DBClusterSnapshots!;
      expect(copy!.KmsKeyId).toBe(newKeyArn);
    });

    it('snapshots a DB instance, copies it under the new key once, and writes the restore and cutover', async () => {
      const instance = resource('rds', 'db-instance', 'orders');
      const taken = rekeySnapshotName('orders', newKeyArn);
      const copyId = rekeyedCopyName('orders', newKeyArn);

      const outcome = asNeedsHuman(await rdsAdapter().reEncrypt(instance, newKeyArn, oldKey));
      const described = async (id: string) =>
        (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots![0]!;
      expect((await described(taken)).KmsKeyId).toBe(oldKey.keyArn);
      expect((await described(copyId)).KmsKeyId).toBe(newKeyArn);
      const steps = text(outcome);
      expect(steps).toContain(
        `aws rds restore-db-instance-from-db-snapshot --db-instance-identifier orders-rekeyed --db-snapshot-identifier ${copyId} --db-instance-class db.t3.micro`,
      );
      expect(steps).toContain(
        'aws rds modify-db-instance --db-instance-identifier orders --new-db-instance-identifier orders-old --apply-immediately',
      );
      expect(steps).toContain(
        'aws rds delete-db-instance --db-instance-identifier <orders or orders-old after a rename> --skip-final-snapshot',
      );
      expect(steps).toContain(`aws rds delete-db-snapshot --db-snapshot-identifier ${taken}`);
      const snapshots = await dbSnapshotIds();

      expect(await rdsAdapter().reEncrypt(instance, newKeyArn, oldKey)).toEqual(outcome);
      expect(await dbSnapshotIds()).toEqual(snapshots);
      // The snapshot taken to move the instance is a step of that move, not one more thing to re-key.
      expect(byKindAndId(await rdsAdapter().inventory(oldKey, region))).not.toContain(`db-snapshot ${taken}`);
    });

    it('snapshots a DB cluster, copies it under the new key, and names the instances the restored cluster needs', async () => {
      const outcome = asNeedsHuman(
        await rdsAdapter().reEncrypt(resource('rds', 'db-cluster', 'ledger'), newKeyArn, oldKey),
      );
      const copyId = rekeyedCopyName('ledger', newKeyArn);
      const [copy] = (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: copyId })))
        .DBClusterSnapshots!;
      expect(copy!.KmsKeyId).toBe(newKeyArn);
      const steps = text(outcome);
      expect(steps).toContain(
        `aws rds restore-db-cluster-from-snapshot --db-cluster-identifier ledger-rekeyed --snapshot-identifier ${copyId} --engine aurora-postgresql`,
      );
      expect(steps).toContain(`--kms-key-id ${newKeyArn}`);
      expect(steps).toContain(
        'aws rds create-db-instance --db-cluster-identifier ledger-rekeyed --db-instance-identifier ledger-writer-rekeyed --db-instance-class db.r6g.large',
      );
      expect(steps).toContain('aws rds delete-db-instance --db-instance-identifier ledger-writer');
    });

    it('names what it makes within the 63 characters RDS allows, distinctly for long ids', () => {
      const long = `orders-${'x'.repeat(60)}`;
      const names = [
        rekeySnapshotName(long, newKeyArn),
        rekeyedCopyName(long, newKeyArn),
        rekeyedCopyName(`${long}y`, newKeyArn),
      ];
      for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
      for (const name of names) expect(name).not.toMatch(/--|-$/);
      expect(new Set(names).size).toBe(3);
    });
  });

  it('EFS: writes the migration to a new file system under the new key, changing nothing', async () => {
    const outcome = asNeedsHuman(
      await efsAdapter().reEncrypt(resource('efs', 'file-system', seeded.oldFileSystem), newKeyArn, oldKey),
    );
    const steps = text(outcome);
    expect(steps).toContain(`aws efs create-file-system --creation-token kms-warden-rekey-${seeded.oldFileSystem}-`);
    expect(steps).toContain(
      `--encrypted --kms-key-id ${newKeyArn} --performance-mode generalPurpose --throughput-mode elastic`,
    );
    expect(steps).toContain(`aws efs create-mount-target --file-system-id "$NEW_FS" --subnet-id ${seeded.subnet}`);
    expect(steps).toContain('aws datasync create-task');
    expect(steps).toContain(`aws efs delete-file-system --file-system-id ${seeded.oldFileSystem}`);
    const fileSystems = (await efs.send(new DescribeFileSystemsCommand({}))).FileSystems!;
    expect(fileSystems).toHaveLength(2);
    expect(fileSystems.find((fs) => fs.FileSystemId === seeded.oldFileSystem)!.KmsKeyId).toBe(oldKey.keyArn);
  });

  it('Redshift: writes the in-place change for a person to start, changing nothing', async () => {
    const outcome = asNeedsHuman(
      await redshiftAdapter().reEncrypt(resource('redshift', 'cluster', 'warehouse'), newKeyArn, oldKey),
    );
    expect(text(outcome)).toContain(
      `aws redshift modify-cluster --cluster-identifier warehouse --encrypted --kms-key-id ${newKeyArn} --region ${region}`,
    );
    expect(text(outcome)).toContain('read-only');
    const [cluster] = (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: 'warehouse' }))).Clusters!;
    expect(cluster!.KmsKeyId).toBe(oldKey.keyArn);
    expect(await redshiftAdapter().reEncrypt(resource('redshift', 'cluster', 'gone'), newKeyArn, oldKey)).toMatchObject(
      { status: 'skipped' },
    );
  });

  it('each adapter declares the KMS actions a copy under a new key needs, and only the copying ones', () => {
    expect(ebs().iamActions).toEqual(
      expect.arrayContaining([
        'ec2:CopySnapshot',
        'kms:CreateGrant',
        'kms:Decrypt',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncrypt*',
      ]),
    );
    expect(rdsAdapter().iamActions).toEqual(
      expect.arrayContaining(['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'kms:CreateGrant', 'kms:DescribeKey']),
    );
    expect(efsAdapter().iamActions.filter((action) => action.startsWith('kms:'))).toEqual([]);
    expect(redshiftAdapter().iamActions).toEqual(['redshift:DescribeClusters']);
  });
});
