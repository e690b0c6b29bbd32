import {
  CopyObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  InvalidObjectState,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  ObjectNotInActiveTierError,
  PutBucketEncryptionCommand,
  S3Client,
  S3ServiceException,
  paginateListBuckets,
  paginateListObjectsV2,
  type ServerSideEncryptionRule,
  type StorageClass,
} from '@aws-sdk/client-s3';
import {
  CreateJobCommand,
  DescribeJobCommand,
  S3ControlClient,
  S3StorageClass,
  type JobDescriptor,
  type JobReport,
} from '@aws-sdk/client-s3-control';
import { createHash } from 'node:crypto';
import {
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';
import { perRegion } from '../clients';

export interface S3ReEncrypterOptions {
  /**
   * false: inventory lists bucket defaults only, not the objects under the old key (the plan made before approval,
   * by a function that may not read objects). Re-keying itself always examines them.
   */
  examineObjects?: boolean;
  /**
   * Past this many objects on the old key in one bucket, objects are not copied one by one: an S3 Batch Operations job
   * moves them.
   */
  maxObjectsInPlace: number;
  /**
   * Past this many objects in one bucket (on any key), the bucket is not examined object by object either: one
   * HeadObject
   * per object would outlast the function, so its objects are left to a Batch Operations job, which filters by key
   * itself.
   */
  maxObjectsExamined: number;
  /**
   * The role S3 Batch Operations jobs run as (trusting batchoperations.s3.amazonaws.com). With it, kms-warden creates
   * the
   * copy jobs itself; without it, people get the commands to create them by hand.
   */
  batchOperationsRoleArn?: string;
  /**
   * A bucket, in the objects' Region, the role may write job completion reports to (failed tasks only); none without
   * it.
   */
  reportBucket?: string;
  /** S3 Control clients by Region; a new one per Region by default. */
  s3ControlIn?: (region: string) => S3ControlClient;
}

const defaults = { maxObjectsInPlace: 10_000, maxObjectsExamined: 100_000 };

/** What S3 needs from the caller: listing buckets, reading and moving encryption settings, copying objects in place. */
const inPlaceActions = [
  's3:ListAllMyBuckets',
  's3:GetBucketLocation',
  's3:GetEncryptionConfiguration',
  's3:PutEncryptionConfiguration',
  's3:GetBucketVersioning',
  // ListObjectsV2; also makes HeadObject answer 404 rather than 403 for an object deleted since it was listed.
  's3:ListBucket',
  // HeadObject, and CopyObject reading its source.
  's3:GetObject',
  // CopyObject writing the copy.
  's3:PutObject',
  // CopyObject with TaggingDirective COPY reads the source's tags and writes them on the copy (AWS's own copy policies
  // grant both).
  's3:GetObjectTagging',
  's3:PutObjectTagging',
  // S3 decrypts with the old key and encrypts with the new one as the caller: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
  'kms:Decrypt',
  'kms:GenerateDataKey',
] as const;

/**
 * What creating and following Batch Operations jobs needs, only when kms-warden creates them (batchOperationsRoleArn).
 */
const batchJobActions = [
  's3:CreateJob',
  's3:DescribeJob',
  // The creator of a job passes it the role it runs as: https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html
  'iam:PassRole',
] as const;

/**
 * Jobs kms-warden creates for one bucket and storage class. A job that is still running is never doubled; a next one
 * starts only when a run resumes after the last one ended (failed, cancelled, or done with objects still left).
 */
const maxJobsPerStorageClass = 3;

/** Job statuses after which a job copies nothing more. */
const endedStatuses = new Set<string>(['Complete', 'Failed', 'Cancelled']);

const batchJobTag = 'kms-warden:rekey-of';

/** Storage classes a Batch Operations copy can write (S3Control's S3StorageClass). */
const copyableByJob = new Set<string>(Object.values(S3StorageClass));

/** CopyObject copies at most 5 GB in one request; larger objects need a multipart copy (UploadPartCopy). */
const maxCopyObjectBytes = 5 * 1024 ** 3;

/** HeadObject and CopyObject requests in flight at once for one bucket. */
const concurrency = 16;
/** Buckets inventoried at once. */
const bucketConcurrency = 4;

/** Objects named one by one in instructions; the rest are counted. */
const objectsNamedInInstructions = 20;

/** An object as HeadObject describes it: what copying it onto itself must keep, and the key it is under. */
interface StoredObject {
  key: string;
  size: number;
  storageClass: StorageClass;
  algorithm: string | undefined;
  kmsKeyId: string | undefined;
}

const bucketResource = (bucket: string, region: string, detail: ProtectedResource['detail']): ProtectedResource => ({
  service: 's3',
  kind: 'bucket',
  id: bucket,
  region,
  detail,
});

/** Whether a key reference names `keyArn` itself (by ARN or id), as opposed to the old key. */
const namesKey = (reference: string | undefined, keyArn: string): boolean =>
  namesOldKey(reference, { keyArn, aliases: [] });

/**
 * Dual-layer encryption (DSSE-KMS) stays dual-layer: moving it to plain SSE-KMS would quietly weaken it. S3 Bucket Keys
 * do not apply to it.
 */
const isDualLayer = (algorithm: string | undefined): boolean => algorithm === 'aws:kms:dsse';

const objectCount = (count: number): string => `${count} object${count === 1 ? '' : 's'}`;

const describeObjects = (objects: StoredObject[]): string => {
  const named = objects
    .slice(0, objectsNamedInInstructions)
    .map((o) => `${o.key} (${o.size} bytes, ${o.storageClass})`);
  const more = objects.length - named.length;
  return `${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
};

/**
 * S3's part of re-keying: a bucket's default encryption (kind 'bucket') and the objects stored under the old key (kind
 * 'objects', one resource per bucket however many objects it holds). Objects are copied onto themselves under the new
 * key, keeping metadata, tags and storage class; a bucket with more than `maxObjectsInPlace` of them is left to S3
 * Batch
 * Operations jobs, which kms-warden creates when it has a role for them (`batchOperationsRoleArn`) and a person starts
 * from exact instructions otherwise.
 */
export class S3ReEncrypter implements ServiceReEncrypter {
  readonly service = 's3' as const;

  readonly iamActions: readonly string[];
  /**
   * What inventory alone calls when objects are not examined (the plan before approval): HeadObject would need
   * s3:GetObject, which reads every object's content too, a power the planning function is not given.
   */
  readonly inventoryIamActions = [
    's3:ListAllMyBuckets',
    's3:GetBucketLocation',
    's3:GetEncryptionConfiguration',
  ] as const;

  private readonly clientIn: (region: string) => S3Client;
  private readonly s3ControlIn: (region: string) => S3ControlClient;
  private readonly options: Omit<S3ReEncrypterOptions, 's3ControlIn'>;

  /**
   * One client for every Region (tests, one-Region accounts), or a factory giving each bucket's Region its own client.
   */
  constructor(
    clients: S3Client | ((region: string) => S3Client),
    { s3ControlIn, ...options }: Partial<S3ReEncrypterOptions> = {},
  ) {
    this.clientIn = clients instanceof S3Client ? () => clients : clients;
    this.s3ControlIn = s3ControlIn ?? perRegion((config) => new S3ControlClient(config));
    this.options = { ...defaults, ...options };
    this.iamActions = this.options.batchOperationsRoleArn ? [...inPlaceActions, ...batchJobActions] : inPlaceActions;
  }

  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const client = this.clientIn(region);
    const buckets = await this.bucketsIn(client, region);
    const found: ProtectedResource[][] = [];
    // A few buckets at once (each heads 16 objects at a time): a Region of large buckets is listed within one
    // invocation's time far more often than one bucket after another.
    const next = { index: 0 };
    const worker = async () => {
      for (let i = next.index++; i < buckets.length; i = next.index++)
        found[i] = await this.inventoryBucket(client, buckets[i]!, region, oldKey);
    };
    await Promise.all(Array.from({ length: Math.min(bucketConcurrency, buckets.length) }, worker));
    return found.flat();
  }

  private async inventoryBucket(
    client: S3Client,
    bucket: string,
    region: string,
    oldKey: OldKey,
  ): Promise<ProtectedResource[]> {
    const resources: ProtectedResource[] = [];
    try {
      const encryption = await this.defaultEncryption(client, bucket);
      const defaultKeyId = encryption?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
      if (defaultKeyId && namesOldKey(defaultKeyId, oldKey)) {
        resources.push(
          bucketResource(bucket, region, {
            kmsKeyId: defaultKeyId,
            bucketKeyEnabled: encryption?.BucketKeyEnabled === true,
          }),
        );
      }
      if (this.options.examineObjects === false) return resources;
      const objects = await this.countObjectsOnOldKey(client, bucket, oldKey);
      if (objects) resources.push({ service: 's3', kind: 'objects', id: bucket, region, detail: objects });
    } catch (error) {
      // Deleted since ListBuckets: it protects nothing any more.
      if (error instanceof NoSuchBucket) return resources;
      // One bucket that refuses to be read (its policy denies it) is that bucket's alone: listed as one re-keying
      // cannot see into, for a person, rather than failing the whole service's inventory (which would hide every
      // other bucket's state from verification).
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403)
        return [
          {
            service: 's3',
            kind: 'bucket',
            id: bucket,
            region,
            detail: { unreadable: `${error.name}: ${error.message}`.slice(0, 300) },
          },
        ];
      throw error;
    }
    return resources;
  }

  async reEncrypt(resource: ProtectedResource, newKeyArn: string, oldKey: OldKey): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    try {
      if (resource.kind === 'bucket') return await this.moveDefaultEncryption(client, resource.id, newKeyArn, oldKey);
      if (resource.kind === 'objects') return await this.moveObjects(client, resource, newKeyArn, oldKey);
    } catch (error) {
      if (error instanceof NoSuchBucket) return { status: 'skipped', detail: `bucket ${resource.id} no longer exists` };
      throw error;
    }
    throw new Error(`no S3 resource kind ${resource.kind} (bucket ${resource.id})`);
  }

  private async moveDefaultEncryption(
    client: S3Client,
    bucket: string,
    newKeyArn: string,
    oldKey: OldKey,
  ): Promise<ReEncryptOutcome> {
    const rule = await this.defaultEncryption(client, bucket);
    const current = rule?.ApplyServerSideEncryptionByDefault;
    if (namesKey(current?.KMSMasterKeyID, newKeyArn))
      return { status: 'skipped', detail: `bucket ${bucket} already encrypts new objects with ${newKeyArn}` };
    if (!rule || !current?.KMSMasterKeyID || !namesOldKey(current.KMSMasterKeyID, oldKey)) {
      return {
        status: 'skipped',
        detail: `default encryption of bucket ${bucket} no longer names the old key (now ${current?.KMSMasterKeyID ?? current?.SSEAlgorithm ?? 'none'})`,
      };
    }
    const dualLayer = isDualLayer(current.SSEAlgorithm);
    await client.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          // The rest of the rule (blocked encryption types) stays as the bucket's owners set it.
          Rules: [
            {
              ...rule,
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: dualLayer ? 'aws:kms:dsse' : 'aws:kms',
                KMSMasterKeyID: newKeyArn,
              },
              BucketKeyEnabled: !dualLayer,
            },
          ],
        },
      }),
    );
    return {
      status: 're-encrypted',
      detail: `bucket ${bucket} now encrypts new objects with ${newKeyArn}${dualLayer ? ' (dual-layer)' : ' and an S3 Bucket Key'}`,
    };
  }

  private async moveObjects(
    client: S3Client,
    resource: ProtectedResource,
    newKeyArn: string,
    oldKey: OldKey,
  ): Promise<ReEncryptOutcome> {
    const bucket = resource.id;
    const versioning = await this.versioningOf(client, bucket);
    const olderVersions = versioning
      ? [
          `Versioning is ${versioning} on bucket ${bucket}: copying in place made new current versions, and the older versions stay encrypted under the old key ${oldKey.keyArn} until they expire or are deleted. ` +
            'ListObjectVersions shows them: delete those no longer needed (DeleteObject with their VersionId); the rest become unreadable once the old key is deleted.',
        ]
      : [];
    if (resource.detail?.batch === true) {
      const lead = `bucket ${bucket} is past what kms-warden copies one by one (${objectCount(Number(resource.detail.count ?? 0))} or more on the old key)`;
      if (this.options.batchOperationsRoleArn)
        return await this.copyByBatchJobs(
          resource,
          newKeyArn,
          oldKey,
          this.options.batchOperationsRoleArn,
          lead,
          olderVersions,
        );
      return {
        status: 'needs-human',
        detail: `${lead}: an S3 Batch Operations job must copy them`,
        instructions: [...this.batchJobInstructions(resource, newKeyArn, oldKey), ...olderVersions],
      };
    }

    let copied = 0;
    let grewPastLimit = false;
    const tooLarge: StoredObject[] = [];
    const archived: StoredObject[] = [];
    const walk = await this.walk(client, bucket, async (objects) => {
      const onOldKey = objects.filter((object) => namesOldKey(object.kmsKeyId, oldKey));
      tooLarge.push(...onOldKey.filter((object) => object.size > maxCopyObjectBytes));
      const copyable = onOldKey.filter((object) => object.size <= maxCopyObjectBytes);
      if (copied + copyable.length > this.options.maxObjectsInPlace) {
        grewPastLimit = true;
        return 'stop';
      }
      const results = await Promise.all(
        copyable.map((object) => this.copyOntoItself(client, bucket, object, newKeyArn)),
      );
      copied += results.filter((result) => result === 'copied').length;
      archived.push(...copyable.filter((_, index) => results[index] === 'archived'));
      return 'continue';
    });

    if (grewPastLimit || !walk.complete) {
      const lead = `copied ${objectCount(copied)} of bucket ${bucket} onto the new key, then stopped: ${grewPastLimit ? `more than ${objectCount(this.options.maxObjectsInPlace)} are on the old key` : `the bucket holds more than ${objectCount(this.options.maxObjectsExamined)}`}`;
      if (this.options.batchOperationsRoleArn)
        return await this.copyByBatchJobs(
          resource,
          newKeyArn,
          oldKey,
          this.options.batchOperationsRoleArn,
          lead,
          olderVersions,
        );
      return {
        status: 'needs-human',
        detail: `${lead}; an S3 Batch Operations job must copy the rest`,
        instructions: [...this.batchJobInstructions(resource, newKeyArn, oldKey), ...olderVersions],
      };
    }
    if (tooLarge.length > 0 || archived.length > 0) {
      return {
        status: 'needs-human',
        detail: `copied ${objectCount(copied)} of bucket ${bucket} onto the new key; left on the old key for a person: ${objectCount(tooLarge.length + archived.length)}`,
        instructions: [
          ...multipartCopyInstructions(bucket, tooLarge, newKeyArn),
          ...restoreInstructions(bucket, archived),
          ...olderVersions,
        ],
      };
    }
    if (copied === 0) return { status: 'skipped', detail: `no object in bucket ${bucket} is on the old key any more` };
    return {
      status: 're-encrypted',
      detail: `copied ${objectCount(copied)} of bucket ${bucket} onto ${copied === 1 ? 'itself' : 'themselves'} under ${newKeyArn}`,
      ...(olderVersions.length > 0 ? { notes: olderVersions } : {}),
    };
  }

  /** The buckets in `region`, by ListBuckets' BucketRegion where S3 gives it, otherwise by GetBucketLocation. */
  private async bucketsIn(client: S3Client, region: string): Promise<string[]> {
    const names: string[] = [];
    for await (const page of paginateListBuckets({ client, pageSize: 1000 }, {})) {
      for (const bucket of page.Buckets ?? []) {
        if (!bucket.Name) continue;
        const bucketRegion = bucket.BucketRegion ?? (await this.locationOf(client, bucket.Name));
        if (bucketRegion === region) names.push(bucket.Name);
      }
    }
    return names;
  }

  private async locationOf(client: S3Client, bucket: string): Promise<string | undefined> {
    try {
      const { LocationConstraint } = await client.send(new GetBucketLocationCommand({ Bucket: bucket }));
      // us-east-1 buckets have no location constraint; EU is the legacy name of eu-west-1.
      if (!LocationConstraint) return 'us-east-1';
      return LocationConstraint === 'EU' ? 'eu-west-1' : LocationConstraint;
    } catch (error) {
      if (error instanceof NoSuchBucket) return undefined;
      throw error;
    }
  }

  /**
   * The bucket's default encryption rule, or undefined when it has none (S3 answers with an error rather than an empty
   * rule).
   */
  private async defaultEncryption(client: S3Client, bucket: string): Promise<ServerSideEncryptionRule | undefined> {
    try {
      const { ServerSideEncryptionConfiguration } = await client.send(
        new GetBucketEncryptionCommand({ Bucket: bucket }),
      );
      return ServerSideEncryptionConfiguration?.Rules?.[0];
    } catch (error) {
      if (error instanceof S3ServiceException && error.name === 'ServerSideEncryptionConfigurationNotFoundError')
        return undefined;
      throw error;
    }
  }

  /** 'Enabled' or 'Suspended' when the bucket keeps (or has kept) older versions, undefined when it never has. */
  private async versioningOf(client: S3Client, bucket: string): Promise<string | undefined> {
    const { Status } = await client.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    return Status || undefined;
  }

  /**
   * The objects on the old key, counted only as far as choosing between copying and a batch job needs: counting stops
   * past `maxObjectsInPlace` of them, or past `maxObjectsExamined` objects in all, so a huge bucket costs a bounded
   * number of HeadObject calls. A bucket too large to examine is listed even when no object on the old key was seen
   * yet: the batch job's manifest finds them server-side, and leaving them unnoticed on a compromised key is worse.
   */
  private async countObjectsOnOldKey(
    client: S3Client,
    bucket: string,
    oldKey: OldKey,
  ): Promise<ProtectedResource['detail']> {
    let count = 0;
    const storageClasses = new Set<string>();
    const walk = await this.walk(client, bucket, async (objects) => {
      for (const object of objects.filter((o) => namesOldKey(o.kmsKeyId, oldKey))) {
        count += 1;
        storageClasses.add(object.storageClass);
      }
      return count > this.options.maxObjectsInPlace ? 'stop' : 'continue';
    });
    const seen: Record<string, string> =
      storageClasses.size > 0 ? { storageClasses: [...storageClasses].sort().join(',') } : {};
    if (!walk.complete) return { count, countIsLowerBound: true, batch: true, examined: walk.examined, ...seen };
    return count > 0 ? { count, ...seen } : undefined;
  }

  /**
   * Lists the bucket and heads its objects a few at a time, handing each group to `visit`, until the listing ends,
   * `visit` answers 'stop', or `maxObjectsExamined` objects have been looked at. `complete` says whether all were.
   */
  private async walk(
    client: S3Client,
    bucket: string,
    visit: (objects: StoredObject[]) => Promise<'stop' | 'continue'>,
  ): Promise<{ examined: number; complete: boolean }> {
    let examined = 0;
    for await (const page of paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: bucket })) {
      const listed = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      let start = 0;
      while (start < listed.length) {
        if (examined >= this.options.maxObjectsExamined) return { examined, complete: false };
        const keys = listed.slice(start, start + Math.min(concurrency, this.options.maxObjectsExamined - examined));
        start += keys.length;
        const heads = await Promise.all(keys.map((key) => this.head(client, bucket, key)));
        examined += keys.length;
        if ((await visit(heads.filter((head): head is StoredObject => head !== undefined))) === 'stop')
          return { examined, complete: false };
      }
    }
    return { examined, complete: true };
  }

  private async head(client: S3Client, bucket: string, key: string): Promise<StoredObject | undefined> {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        size: head.ContentLength ?? 0,
        // HeadObject leaves StorageClass out for STANDARD objects.
        storageClass: head.StorageClass ?? 'STANDARD',
        algorithm: head.ServerSideEncryption,
        kmsKeyId: head.SSEKMSKeyId,
      };
    } catch (error) {
      // Deleted since it was listed: nothing to move.
      if (error instanceof NotFound) return undefined;
      // HEAD of an SSE-C object without the customer's key answers 400: such an object is under no KMS key.
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 400) return undefined;
      throw error;
    }
  }

  /** CopyObject of the object onto itself under the new key; metadata, content type, tags and storage class stay. */
  private async copyOntoItself(
    client: S3Client,
    bucket: string,
    object: StoredObject,
    newKeyArn: string,
  ): Promise<'copied' | 'archived' | 'gone'> {
    const dualLayer = isDualLayer(object.algorithm);
    try {
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: object.key,
          CopySource: `${bucket}/${encodeURIComponent(object.key)}`,
          ServerSideEncryption: dualLayer ? 'aws:kms:dsse' : 'aws:kms',
          SSEKMSKeyId: newKeyArn,
          ...(dualLayer ? {} : { BucketKeyEnabled: true }),
          MetadataDirective: 'COPY',
          TaggingDirective: 'COPY',
          // Without it the copy would land in STANDARD.
          StorageClass: object.storageClass,
        }),
      );
      return 'copied';
    } catch (error) {
      // GLACIER and DEEP_ARCHIVE objects (and archived Intelligent-Tiering tiers) cannot be copied until restored.
      if (error instanceof ObjectNotInActiveTierError || error instanceof InvalidObjectState) return 'archived';
      if (error instanceof NoSuchKey) return 'gone';
      throw error;
    }
  }

  /**
   * Creates one S3 Batch Operations job per storage class (a copy job writes one class), each copying the bucket's
   * objects
   * on the old key onto themselves under the new key, or finds the one a previous attempt created: a token derived from
   * the bucket, both keys, the storage class and the attempt makes CreateJob give back the job it already made.
   */
  private async copyByBatchJobs(
    resource: ProtectedResource,
    newKeyArn: string,
    oldKey: OldKey,
    roleArn: string,
    lead: string,
    olderVersions: string[],
  ): Promise<ReEncryptOutcome> {
    const bucket = resource.id;
    const region = resource.region;
    const { partition, account } = arnParts(newKeyArn);
    const client = this.s3ControlIn(region);
    const storageClasses = storageClassesOf(resource);
    const jobs: BatchJobs[] = [];
    for (const storageClass of storageClasses.filter((c): c is S3StorageClass => copyableByJob.has(c))) {
      const earlier: FoundJob[] = [];
      for (let attempt = 1; ; attempt += 1) {
        const job = await this.createOrFindJob(client, {
          bucket,
          partition,
          account,
          storageClass,
          attempt,
          oldKeyArn: oldKey.keyArn,
          newKeyArn,
          roleArn,
        });
        if (!endedStatuses.has(job.Status ?? '') || attempt === maxJobsPerStorageClass) {
          jobs.push({ storageClass, job, earlier });
          break;
        }
        earlier.push(job);
      }
    }
    const notCopyable = storageClasses.filter((c) => !copyableByJob.has(c));

    const describeJob = (jobId: string) =>
      `aws s3control describe-job --region ${region} --account-id ${account} --job-id ${jobId}`;
    const reportAt = this.options.reportBucket
      ? `s3://${this.options.reportBucket}/kms-warden-rekey/job-JOB_ID/`
      : undefined;
    const detail = [
      jobs.length > 0
        ? `${lead}: S3 Batch Operations ${jobs.length === 1 ? 'job copies' : 'jobs copy'} them onto ${newKeyArn}`
        : lead,
      ...jobs.flatMap(({ storageClass, job, earlier }) => [
        `job ${job.JobId} (${storageClass}) ${endedStatuses.has(job.Status ?? '') ? 'ended' : 'is'} ${jobState(job)}`,
        ...earlier.map((e) => `earlier job ${e.JobId} (${storageClass}) ended ${jobState(e)}`),
        ...(endedStatuses.has(job.Status ?? '')
          ? [
              `that makes ${maxJobsPerStorageClass} ${storageClass} jobs, the most kms-warden starts: the objects left need a person`,
            ]
          : []),
      ]),
      ...(notCopyable.length > 0
        ? [
            `no Batch Operations job can write ${notCopyable.join(', ')} (it copies to ${[...copyableByJob].join(', ')} only)`,
          ]
        : []),
    ].join('; ');
    const roleNeeds = batchRolePolicy(
      `arn:${partition}:s3:::${bucket}`,
      oldKey.keyArn,
      newKeyArn,
      this.options.reportBucket ? `arn:${partition}:s3:::${this.options.reportBucket}` : undefined,
    );
    const followJobs =
      jobs.length === 0
        ? []
        : [
            `Follow ${jobs.length === 1 ? 'the job' : 'each job'} until its Status is Complete: ${jobs.map(({ job }) => describeJob(job.JobId)).join(' ; ')}. ProgressSummary counts the objects copied and failed.`,
            `If a job is Failed, or Complete with NumberOfTasksFailed above 0: describe-job's FailureReasons and StatusUpdateReason say why${reportAt ? `, and the completion report under ${reportAt} names each object that failed and the error` : ''}. ` +
              `Most often it is the role the jobs run as, ${roleArn}: it must trust batchoperations.s3.amazonaws.com (${JSON.stringify(batchRoleTrust)}) and allow ${JSON.stringify(roleNeeds)}. ` +
              'Objects over 5 GB fail in any case (they need a multipart copy, UploadPartCopy), and GLACIER and DEEP_ARCHIVE objects fail until restored. ' +
              `After fixing the cause, run re-keying for ${region} again: it starts a new job for what is left once the last one has ended (at most ${maxJobsPerStorageClass} per storage class), never a second one while one still runs.`,
            `Otherwise there is nothing to do for this bucket: verification inventories again and passes by itself once no object in ${bucket} is on the old key.`,
          ];
    const instructions = [
      ...followJobs,
      ...(resource.detail?.countIsLowerBound === true
        ? [
            `Counting stopped early, so objects on the old key may also sit in a storage class other than ${storageClasses.join(', ')}: if verification still lists ${bucket} after the jobs complete, run re-keying for ${region} again; its inventory then sees the classes left.`,
          ]
        : []),
      ...(notCopyable.length > 0
        ? [
            `Objects of bucket ${bucket} in ${notCopyable.join(', ')} on the old key: copy each onto itself by hand (CopyObject with SSEKMSKeyId ${newKeyArn}, MetadataDirective COPY, TaggingDirective COPY), or change their storage class first.`,
          ]
        : []),
      ...olderVersions,
    ];
    return { status: 'needs-human', detail, instructions };
  }

  /**
   * CreateJob for one storage class and attempt, then DescribeJob: a job S3 already made for this token comes back as
   * it is now.
   */
  private async createOrFindJob(client: S3ControlClient, job: BatchJobRequest): Promise<FoundJob> {
    const bucketArn = `arn:${job.partition}:s3:::${job.bucket}`;
    const report: JobReport = this.options.reportBucket
      ? {
          Enabled: true,
          Bucket: `arn:${job.partition}:s3:::${this.options.reportBucket}`,
          Prefix: 'kms-warden-rekey',
          Format: 'Report_CSV_20180820',
          ReportScope: 'FailedTasksOnly',
        }
      : { Enabled: false };
    const { JobId } = await client.send(
      new CreateJobCommand({
        AccountId: job.account,
        ConfirmationRequired: false,
        // Batch Operations hands each object to CopyObject, which writes STANDARD unless told, so one job per storage class; tags are copied unless NewObjectTagging says otherwise: https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3CopyObjectOperation.html
        Operation: {
          S3PutObjectCopy: {
            TargetResource: bucketArn,
            MetadataDirective: 'COPY',
            SSEAwsKmsKeyId: job.newKeyArn,
            BucketKeyEnabled: true,
            StorageClass: job.storageClass,
          },
        },
        ManifestGenerator: {
          S3JobManifestGenerator: {
            ExpectedBucketOwner: job.account,
            SourceBucket: bucketArn,
            EnableManifestOutput: false,
            Filter: {
              MatchAnyObjectEncryption: [{ SSEKMS: { KmsKeyArn: job.oldKeyArn } }],
              MatchAnyStorageClass: [job.storageClass],
            },
          },
        },
        Report: report,
        // "An idempotency token to ensure that you don't accidentally submit the same request twice": https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
        ClientRequestToken: jobToken(job),
        Description: `kms-warden re-key of ${job.bucket} (${job.storageClass}, attempt ${job.attempt})`,
        Priority: 10,
        RoleArn: job.roleArn,
        Tags: [{ Key: batchJobTag, Value: job.bucket }],
      }),
    );
    if (!JobId) throw new Error(`CreateJob for bucket ${job.bucket} (${job.storageClass}) answered without a job id`);
    const { Job } = await client.send(new DescribeJobCommand({ AccountId: job.account, JobId }));
    return { ...Job, JobId };
  }

  /**
   * What a person runs to move a bucket's objects with S3 Batch Operations when kms-warden has no role to create the
   * jobs with.
   */
  private batchJobInstructions(resource: ProtectedResource, newKeyArn: string, oldKey: OldKey): string[] {
    const bucket = resource.id;
    const region = resource.region;
    const [, partition, , , account] = newKeyArn.split(':');
    const bucketArn = `arn:${partition}:s3:::${bucket}`;
    const roleName = 'kms-warden-s3-rekey';
    const storageClasses = storageClassesOf(resource);
    const policy = batchRolePolicy(bucketArn, oldKey.keyArn, newKeyArn, `arn:${partition}:s3:::REPORT_BUCKET`);
    const createJob = (storageClass: string) => {
      const operation = {
        S3PutObjectCopy: {
          TargetResource: bucketArn,
          MetadataDirective: 'COPY',
          SSEAwsKmsKeyId: newKeyArn,
          BucketKeyEnabled: true,
          StorageClass: storageClass,
        },
      };
      const manifest = {
        S3JobManifestGenerator: {
          ExpectedBucketOwner: account,
          SourceBucket: bucketArn,
          EnableManifestOutput: false,
          Filter: {
            MatchAnyObjectEncryption: [{ SSEKMS: { KmsKeyArn: oldKey.keyArn } }],
            MatchAnyStorageClass: [storageClass],
          },
        },
      };
      const report = {
        Bucket: `arn:${partition}:s3:::REPORT_BUCKET`,
        Prefix: 'kms-warden-rekey',
        Format: 'Report_CSV_20180820',
        Enabled: true,
        ReportScope: 'AllTasks',
      };
      return (
        `Create the copy job for the ${storageClass} objects (as a principal allowed s3:CreateJob, iam:PassRole on the role and s3:PutInventoryConfiguration on the bucket): ` +
        `aws s3control create-job --region ${region} --account-id ${account} --role-arn arn:${partition}:iam::${account}:role/${roleName} --priority 10 --no-confirmation-required ` +
        `--description 'kms-warden re-key of ${bucket} (${storageClass})' --operation '${JSON.stringify(operation)}' --manifest-generator '${JSON.stringify(manifest)}' --report '${JSON.stringify(report)}'`
      );
    };
    return [
      `Choose a bucket in ${region} for the job's completion report and put its name wherever REPORT_BUCKET appears below.`,
      `Create the role the job runs as (skip create-role if it exists already): aws iam create-role --role-name ${roleName} --assume-role-policy-document '${JSON.stringify(batchRoleTrust)}' && aws iam put-role-policy --role-name ${roleName} --policy-name copy-${bucket} --policy-document '${JSON.stringify(policy)}'`,
      ...storageClasses.map(createJob),
      `The jobs list the bucket themselves and copy only objects whose KMS key is ${oldKey.keyArn}, each keeping its metadata, tags and storage class, onto ${newKeyArn} with an S3 Bucket Key. ` +
        `Storage classes of the objects on the old key: ${storageClasses.join(', ')}${resource.detail?.countIsLowerBound === true ? ' as far as counting went (it stopped early: if objects on the old key sit in another class, run the same job with that class in MatchAnyStorageClass and StorageClass)' : ''}.`,
      `Follow each job with aws s3control describe-job --region ${region} --account-id ${account} --job-id JOB_ID until its Status is Complete; the completion report under s3://REPORT_BUCKET/kms-warden-rekey/ names every object and failure. ` +
        'Batch Operations copies objects of up to 5 GB: larger ones fail there and need a multipart copy (UploadPartCopy). GLACIER and DEEP_ARCHIVE objects fail until restored.',
      `Then run re-keying for ${region} again: the bucket's objects resource is gone once no object in ${bucket} is on the old key.`,
    ];
  }
}

/** The role S3 Batch Operations jobs run as must trust the service. */
const batchRoleTrust = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
};

/**
 * What the jobs' role needs to copy a bucket's objects onto themselves under the new key, and write reports if there
 * are any.
 */
const batchRolePolicy = (
  bucketArn: string,
  oldKeyArn: string,
  newKeyArn: string,
  reportBucketArn: string | undefined,
) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'CopyObjectsOntoThemselves',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectTagging', 's3:PutObject', 's3:PutObjectTagging'],
      Resource: `${bucketArn}/*`,
    },
    {
      Sid: 'ListObjectsForTheManifest',
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:PutInventoryConfiguration'],
      Resource: bucketArn,
    },
    ...(reportBucketArn
      ? [
          {
            Sid: 'WriteTheCompletionReport',
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: `${reportBucketArn}/kms-warden-rekey/*`,
          },
        ]
      : []),
    { Sid: 'DecryptWithTheOldKey', Effect: 'Allow', Action: 'kms:Decrypt', Resource: oldKeyArn },
    { Sid: 'EncryptWithTheNewKey', Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: newKeyArn },
  ],
});

/** The storage classes seen on the old key's objects; STANDARD when counting saw none. */
const storageClassesOf = (resource: ProtectedResource): string[] => {
  const seen =
    typeof resource.detail?.storageClasses === 'string'
      ? resource.detail.storageClasses.split(',').filter(Boolean)
      : [];
  return seen.length > 0 ? seen : ['STANDARD'];
};

const arnParts = (arn: string): { partition: string; account: string } => {
  const [, partition = 'aws', , , account = ''] = arn.split(':');
  return { partition, account };
};

/** One copy job: a bucket's objects of one storage class on the old key, the attempt-th job for them. */
interface BatchJobRequest {
  bucket: string;
  partition: string;
  account: string;
  storageClass: S3StorageClass;
  attempt: number;
  oldKeyArn: string;
  newKeyArn: string;
  roleArn: string;
}

/** The job now copying one storage class, and the ones before it that ended. */
interface BatchJobs {
  storageClass: string;
  job: FoundJob;
  earlier: FoundJob[];
}

type FoundJob = JobDescriptor & { JobId: string };

/**
 * The same bucket, keys, storage class and attempt always give the same token: 64 hex characters, CreateJob's limit.
 */
const jobToken = ({ bucket, oldKeyArn, newKeyArn, storageClass, attempt }: BatchJobRequest): string =>
  createHash('sha256').update([bucket, oldKeyArn, newKeyArn, storageClass, attempt].join('\n')).digest('hex');

/** A job's status, how far it got, and why it failed when it did. */
const jobState = (job: JobDescriptor): string => {
  const progress = job.ProgressSummary;
  const failed = progress?.NumberOfTasksFailed ?? 0;
  const counts =
    progress?.TotalNumberOfTasks !== undefined
      ? `, ${progress.NumberOfTasksSucceeded ?? 0} of ${progress.TotalNumberOfTasks} objects copied, ${failed} failed`
      : '';
  const withFailures = job.Status === 'Complete' && failed > 0 ? ' with failures' : '';
  const reasons = (job.FailureReasons ?? [])
    .map((r) => [r.FailureCode, r.FailureReason].filter(Boolean).join(': '))
    .filter(Boolean);
  return `${job.Status ?? 'in an unknown state'}${withFailures}${counts}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`;
};

const multipartCopyInstructions = (bucket: string, objects: StoredObject[], newKeyArn: string): string[] =>
  objects.length === 0
    ? []
    : [
        `Larger than 5 GB, which CopyObject cannot copy: ${objectCount(objects.length)} of bucket ${bucket}. Copy each onto itself in parts: read its content type, metadata and storage class (HeadObject) and tags (GetObjectTagging); ` +
          `CreateMultipartUpload on the same key with them (tags as Tagging), ServerSideEncryption aws:kms, SSEKMSKeyId ${newKeyArn} and BucketKeyEnabled true; UploadPartCopy from ${bucket}/KEY in ranges of at most 5 GB; then CompleteMultipartUpload. ` +
          'A multipart upload under a KMS key needs kms:GenerateDataKey and kms:Decrypt on the new key. Then run re-keying for this resource again.',
        `Objects larger than 5 GB: ${describeObjects(objects)}.`,
      ];

const restoreInstructions = (bucket: string, objects: StoredObject[]): string[] =>
  objects.length === 0
    ? []
    : [
        `Archived, so not copyable until restored: ${objectCount(objects.length)} of bucket ${bucket}. Restore each (aws s3api restore-object --bucket ${bucket} --key KEY --restore-request Days=7, without Days for INTELLIGENT_TIERING), ` +
          'wait until HeadObject shows Restore: ongoing-request="false", then run re-keying for this resource again.',
        `Archived objects: ${describeObjects(objects)}.`,
      ];
