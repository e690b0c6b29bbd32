import {
  ClusterNotFoundFault,
  DescribeClustersCommand,
  paginateDescribeClusters,
  type Cluster,
  type RedshiftClient,
} from '@aws-sdk/client-redshift';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/**
 * Provisioned Redshift clusters under the old key. Redshift can move a cluster to a new key itself (ModifyCluster
 * with KmsKeyId), but the cluster is read-only while it migrates: on a production warehouse that is a person's call,
 * so reEncrypt writes the plan and changes nothing.
 */
export class RedshiftReEncrypter implements ServiceReEncrypter {
  readonly service = 'redshift' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = ['redshift:DescribeClusters'] as const;
  readonly iamActions = ['redshift:DescribeClusters'] as const;

  constructor(private readonly clientIn: (region: string) => RedshiftClient) {}

  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const found: ProtectedResource[] = [];
    for await (const page of paginateDescribeClusters({ client: this.clientIn(region) }, {})) {
      for (const cluster of page.Clusters ?? []) {
        if (!cluster.ClusterIdentifier || !cluster.Encrypted || !namesOldKey(cluster.KmsKeyId, oldKey)) continue;
        found.push({
          service: this.service,
          kind: 'cluster',
          id: cluster.ClusterIdentifier,
          region,
          detail: {
            status: cluster.ClusterStatus ?? 'unknown',
            ...(cluster.NodeType ? { nodeType: cluster.NodeType } : {}),
            ...(cluster.NumberOfNodes !== undefined ? { nodes: cluster.NumberOfNodes } : {}),
            ...(cluster.Endpoint?.Address ? { endpoint: cluster.Endpoint.Address } : {}),
          },
        });
      }
    }
    return found;
  }

  async reEncrypt(resource: ProtectedResource, newKeyArn: string): Promise<ReEncryptOutcome> {
    const cluster = await this.cluster(this.clientIn(resource.region), resource.id);
    if (!cluster || cluster.ClusterStatus === 'deleting')
      return { status: 'skipped', detail: `Redshift cluster ${resource.id} no longer exists` };
    if (namesKey(cluster.KmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `Redshift cluster ${resource.id} is already on ${newKeyArn}` };
    return {
      status: 'needs-human',
      detail: `Redshift cluster ${resource.id} moves to the new key in place, read-only while it migrates; nothing was changed`,
      instructions: inPlacePlan(cluster, resource.region, newKeyArn),
    };
  }

  private async cluster(client: RedshiftClient, clusterId: string): Promise<Cluster | undefined> {
    try {
      return (await client.send(new DescribeClustersCommand({ ClusterIdentifier: clusterId }))).Clusters?.[0];
    } catch (error) {
      if (error instanceof ClusterNotFoundFault) return undefined;
      throw error;
    }
  }
}

/**
 * Redshift "Changing cluster encryption" (docs.aws.amazon.com/redshift/latest/mgmt/changing-cluster-encryption.html):
 * the cluster is read-only during the migration.
 */
const inPlacePlan = (cluster: Cluster, region: string, newKeyArn: string): string[] => {
  const id = cluster.ClusterIdentifier ?? '?';
  const at = ` --region ${region}`;
  const steps = [
    `Agree a window with the owners of ${id}: while Redshift re-encrypts it under the new key the cluster is read-only (loads and other writes fail), ` +
      'for minutes to hours depending on its size.',
    `Whoever runs it needs to be allowed to use the new key for Redshift (docs.aws.amazon.com/redshift/latest/mgmt/authorizing-kms-customer-managed-key.html).`,
    `Start it: aws redshift modify-cluster --cluster-identifier ${id} --encrypted --kms-key-id ${newKeyArn}${at}`,
    `Wait and confirm: aws redshift wait cluster-available --cluster-identifier ${id}${at} && ` +
      `aws redshift describe-clusters --cluster-identifier ${id} --query 'Clusters[0].KmsKeyId' --output text${at} (it must print ${newKeyArn}).`,
    `Snapshots taken before stay under the old key and cannot be restored once it is deleted: list them (aws redshift describe-cluster-snapshots --cluster-identifier ${id}${at}), ` +
      "keep what you need by restoring it into a cluster under the new key and snapshotting that, and delete the rest (a person's call).",
  ];
  const copy = cluster.ClusterSnapshotCopyStatus;
  if (copy?.DestinationRegion) {
    steps.push(
      `${id} copies snapshots to ${copy.DestinationRegion}` +
        (copy.SnapshotCopyGrantName ? ` with snapshot copy grant ${copy.SnapshotCopyGrantName}` : '') +
        `: check the key that grant names (aws redshift describe-snapshot-copy-grants --region ${copy.DestinationRegion}); if it is being replaced too, ` +
        `create a grant for its replacement there, then aws redshift disable-snapshot-copy --cluster-identifier ${id}${at} && ` +
        `aws redshift enable-snapshot-copy --cluster-identifier ${id} --destination-region ${copy.DestinationRegion} --snapshot-copy-grant-name <new grant>${at}`,
    );
  }
  return steps;
};
