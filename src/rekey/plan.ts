import type { KeySnapshot } from './key-snapshot';
import type { ProtectedResource, ServiceName } from './protected-resource';
import { resourceKeyOf } from './step';

/** How each kind of resource moves to the new key, and whether a person has to finish it. */
const howByKind: Record<string, { how: string; person: boolean; stays: string }> = {
  'secretsmanager:secret': {
    how: 'UpdateSecret with the new key (current, pending and previous versions); rotate the value',
    person: false,
    stays: 'versions older than AWSPREVIOUS stay under the old key; the value was readable with it, so rotate it',
  },
  'ssm:parameter': {
    how: 'put the value again under the new key (a new version; history stays under the old key)',
    person: false,
    stays: 'older versions in the parameter history stay under the old key',
  },
  's3:bucket': {
    how: 'default encryption set to the new key, with a Bucket Key',
    person: false,
    stays: 'objects already written keep their key until copied',
  },
  's3:objects': {
    how: 'each object copied onto itself under the new key, metadata, tags and storage class kept',
    person: false,
    stays: 'older versions in a versioned bucket; archived objects until restored; objects over 5 GB',
  },
  'dynamodb:table': {
    how: 'UpdateTable with the new key (online)',
    person: false,
    stays: 'on-demand backups stay under the old key',
  },
  'lambda:function': {
    how: 'UpdateFunctionConfiguration with the new key',
    person: false,
    stays: 'published versions keep the old key',
  },
  'ebs:snapshot': {
    how: 'copied under the new key; the original is left for a person to delete',
    person: false,
    stays: 'the original snapshot, until a person deletes it',
  },
  'ebs:volume': {
    how: 'snapshot, copy under the new key, then a person swaps the volume',
    person: true,
    stays: 'the original volume and its snapshots, until a person deletes them',
  },
  'rds:db-snapshot': { how: 'copied under the new key', person: false, stays: 'the original snapshot' },
  'rds:db-cluster-snapshot': { how: 'copied under the new key', person: false, stays: 'the original snapshot' },
  'rds:db-instance': {
    how: 'snapshot, copy under the new key, then a person restores and cuts over',
    person: true,
    stays: 'the original instance and its automated backups, until a person deletes them',
  },
  'rds:db-cluster': {
    how: 'snapshot, copy under the new key, then a person restores and cuts over',
    person: true,
    stays: 'the original cluster and its backups, until a person deletes them',
  },
  'efs:file-system': {
    how: 'a migration plan: new file system under the new key, copy, switch mounts',
    person: true,
    stays: 'the file system itself, until a person migrates and deletes it',
  },
  'redshift:cluster': {
    how: 'a plan: ModifyCluster with the new key, read-only while it runs',
    person: true,
    stays: 'snapshots taken before the change',
  },
};

export interface PlanLine {
  key: string;
  service: ServiceName;
  kind: string;
  id: string;
  how: string;
  /** A person finishes it: a cutover, a copy, a confirmation. */
  person: boolean;
  /** What stays under the old key even once it is moved (and is deleted with it). */
  stays: string;
  detail?: ProtectedResource['detail'];
}

export interface RekeyPlan {
  keyArn: string;
  aliases: string[];
  replacement: {
    description: string;
    keySpec: string;
    keyUsage: string;
    rotation: 'on';
    tags: Record<string, string>;
    multiRegion: boolean;
  };
  resources: PlanLine[];
  /** Services that could not be listed: the plan is incomplete until they are. */
  gaps: Record<string, string>;
}

/** What re-keying would do, from a snapshot of the key and what it protects: plain data, nothing changed. */
export const planRekey = (
  snapshot: KeySnapshot,
  found: { resources: ProtectedResource[]; gaps: Record<string, string> },
): RekeyPlan => ({
  keyArn: snapshot.keyArn,
  aliases: snapshot.aliases,
  replacement: {
    description: snapshot.description,
    keySpec: snapshot.keySpec,
    keyUsage: snapshot.keyUsage,
    rotation: 'on',
    tags: snapshot.tags,
    multiRegion: snapshot.multiRegion,
  },
  resources: found.resources.map((resource) => {
    const known = howByKind[`${resource.service}:${resource.kind}`] ?? {
      how: 'moved by its service adapter',
      person: true,
      stays: 'unknown: check the service',
    };
    const batch = resource.kind === 'objects' && resource.detail?.batch === true;
    return {
      key: resourceKeyOf(resource),
      service: resource.service,
      kind: resource.kind,
      id: resource.id,
      how: batch ? 'too many objects to copy one by one: an S3 Batch Operations job a person starts' : known.how,
      person: batch || known.person,
      stays: known.stays,
      ...(resource.detail ? { detail: resource.detail } : {}),
    };
  }),
  gaps: found.gaps,
});
