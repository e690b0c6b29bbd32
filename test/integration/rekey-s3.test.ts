import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { S3ReEncrypter } from '../../src/aws/rekey/s3';
import type { OldKey, ProtectedResource } from '../../src/rekey/protected-resource';
import { perRegion } from '../../src/aws/clients';
import { useMoto } from '../support/moto';

const region = 'us-east-1';

/**
 * Moto (5.2) keeps S3 Bucket Keys, storage classes (STANDARD_IA, GLACIER), tags, user metadata and versions as S3 does,
 * and refuses to copy a GLACIER object. What it lacks, and so what this suite cannot show: ListBuckets returns no
 * BucketRegion (GetBucketLocation is what decides the Region here), a DSSE-KMS object has no SSEKMSKeyId, objects over
 * 5 GB are out of reach, and an object put before default encryption stays unencrypted where S3 would use SSE-S3.
 */
describe('S3 re-keying against moto: inventory, copy in place, copy again, batch', () => {
  const moto = useMoto();
  /** S3 as the re-key step sees it: a session of its role. */
  let rekeyS3: (region: string) => S3Client;
  let s3: S3Client;
  let oldKey: OldKey;
  let newKeyArn: string;
  let otherKeyArn: string;
  let s3ReEncrypter: S3ReEncrypter;

  const createKey = async (kms: KMSClient) =>
    (await kms.send(new CreateKeyCommand({ Description: 'payments' }))).KeyMetadata!.Arn!;
  const put = (input: Omit<PutObjectCommandInput, 'Body'> & { Body: string }) => s3.send(new PutObjectCommand(input));
  const onKey = (keyArn: string) => ({ ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: keyArn });
  const defaultEncryption = async (bucket: string, keyId: string) =>
    s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyId } }],
        },
      }),
    );
  const head = (bucket: string, key: string, versionId?: string) =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const tags = async (bucket: string, key: string) =>
    (await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet;
  const body = async (bucket: string, key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  const byKindAndId = (a: ProtectedResource, b: ProtectedResource) =>
    `${a.kind}/${a.id}`.localeCompare(`${b.kind}/${b.id}`);
  const copiesSentDuring = async <T>(act: () => Promise<T>): Promise<{ result: T; copies: number }> => {
    const send = jest.spyOn(s3, 'send');
    try {
      const result = await act();
      return { result, copies: send.mock.calls.filter(([command]) => command instanceof CopyObjectCommand).length };
    } finally {
      send.mockRestore();
    }
  };
  const resource = (
    kind: 'bucket' | 'objects',
    id: string,
    detail?: ProtectedResource['detail'],
  ): ProtectedResource => ({
    service: 's3',
    kind,
    id,
    region,
    ...(detail ? { detail } : {}),
  });

  const oldKeyObjects = ['by-default.json', 'invoices/2024 march.pdf', 'ledger.csv'];
  const untouchedObjects = ['other-key.txt', 'plain.txt'];

  beforeAll(async () => {
    s3 = new S3Client({ region, forcePathStyle: true });
    const kms = new KMSClient({ region });
    const oldKeyArn = await createKey(kms);
    newKeyArn = await createKey(kms);
    otherKeyArn = await createKey(kms);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/payments', TargetKeyId: oldKeyArn }));
    oldKey = { keyArn: oldKeyArn, aliases: ['alias/payments'] };
    rekeyS3 = await moto.asFunction('rekeyStep', () => perRegion((c) => new S3Client({ ...c, forcePathStyle: true })));
    s3ReEncrypter = new S3ReEncrypter(rekeyS3);

    await s3.send(new CreateBucketCommand({ Bucket: 'payments-data' }));
    // Put before default encryption exists, so moto stores it unencrypted.
    await put({ Bucket: 'payments-data', Key: 'plain.txt', Body: 'no key at all', ContentType: 'text/plain' });
    await defaultEncryption('payments-data', oldKeyArn);
    await put({
      Bucket: 'payments-data',
      Key: 'invoices/2024 march.pdf',
      Body: '%PDF-1.7 invoice',
      ContentType: 'application/pdf',
      Metadata: { owner: 'billing' },
      Tagging: 'team=billing&retention=7y',
      StorageClass: 'STANDARD_IA',
      ...onKey(oldKeyArn),
    });
    await put({
      Bucket: 'payments-data',
      Key: 'ledger.csv',
      Body: 'date,amount\n',
      ContentType: 'text/csv',
      Metadata: { source: 'erp' },
      Tagging: 'team=finance',
      ...onKey(oldKeyArn),
    });
    // No encryption asked for: the bucket's default (the old key) applies.
    await put({
      Bucket: 'payments-data',
      Key: 'by-default.json',
      Body: '{"paid":true}',
      ContentType: 'application/json',
    });
    await put({ Bucket: 'payments-data', Key: 'other-key.txt', Body: 'elsewhere', ...onKey(otherKeyArn) });

    await s3.send(new CreateBucketCommand({ Bucket: 'payments-archive' }));
    await defaultEncryption('payments-archive', 'alias/payments');

    await s3.send(new CreateBucketCommand({ Bucket: 'payments-versioned' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'payments-versioned', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await put({ Bucket: 'payments-versioned', Key: 'statement.txt', Body: 'march statement', ...onKey(oldKeyArn) });

    await s3.send(new CreateBucketCommand({ Bucket: 'payments-cold' }));
    await put({
      Bucket: 'payments-cold',
      Key: 'tape.bin',
      Body: 'archived',
      StorageClass: 'GLACIER',
      ...onKey(oldKeyArn),
    });

    await s3.send(new CreateBucketCommand({ Bucket: 'payments-logs' }));
    for (const day of ['01', '02', '03'])
      await put({ Bucket: 'payments-logs', Key: `2024-03-${day}.log`, Body: day, ...onKey(otherKeyArn) });

    await s3.send(new CreateBucketCommand({ Bucket: 'unrelated' }));
    await defaultEncryption('unrelated', otherKeyArn);
    await put({ Bucket: 'unrelated', Key: 'report.txt', Body: 'not ours', ...onKey(otherKeyArn) });

    await s3.send(
      new CreateBucketCommand({
        Bucket: 'payments-eu',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await defaultEncryption('payments-eu', oldKeyArn);
    await put({ Bucket: 'payments-eu', Key: 'eu.txt', Body: 'eu', ...onKey(oldKeyArn) });
  });

  it('finds the buckets whose default encryption names the old key, by ARN or alias, and one objects resource per bucket, in the Region asked', async () => {
    const found = (await s3ReEncrypter.inventory(oldKey, region)).sort(byKindAndId);

    expect(found).toEqual([
      resource('bucket', 'payments-archive', { kmsKeyId: 'alias/payments', bucketKeyEnabled: false }),
      resource('bucket', 'payments-data', { kmsKeyId: oldKey.keyArn, bucketKeyEnabled: false }),
      resource('objects', 'payments-cold', { count: 1, storageClasses: 'GLACIER' }),
      resource('objects', 'payments-data', { count: 3, storageClasses: 'STANDARD,STANDARD_IA' }),
      resource('objects', 'payments-versioned', { count: 1, storageClasses: 'STANDARD' }),
    ]);
    expect((await s3ReEncrypter.inventory(oldKey, 'eu-west-1')).sort(byKindAndId)).toEqual([
      {
        ...resource('bucket', 'payments-eu', { kmsKeyId: oldKey.keyArn, bucketKeyEnabled: false }),
        region: 'eu-west-1',
      },
      { ...resource('objects', 'payments-eu', { count: 1, storageClasses: 'STANDARD' }), region: 'eu-west-1' },
    ]);
  });

  it('past maxObjectsInPlace, lists one batch resource and answers with a Batch Operations job instead of copying', async () => {
    const small = new S3ReEncrypter(rekeyS3, { maxObjectsInPlace: 1 });

    const objects = (await small.inventory(oldKey, region)).filter((r) => r.kind === 'objects').sort(byKindAndId);
    const batch = objects.find((r) => r.id === 'payments-data')!;
    const { result: outcome, copies } = await copiesSentDuring(() => small.reEncrypt(batch, newKeyArn, oldKey));

    expect(batch.detail).toMatchObject({
      batch: true,
      countIsLowerBound: true,
      storageClasses: 'STANDARD,STANDARD_IA',
    });
    expect(batch.detail!.count).toBeGreaterThan(1);
    // At the limit, not past it: still copied in place.
    expect(objects.find((r) => r.id === 'payments-versioned')!.detail).toEqual({
      count: 1,
      storageClasses: 'STANDARD',
    });
    expect(outcome.status).toBe('needs-human');
    const instructions = outcome.status === 'needs-human' ? outcome.instructions.join('\n') : '';
    expect(instructions).toContain('batchoperations.s3.amazonaws.com');
    expect(instructions).toContain(`"Action":"kms:Decrypt","Resource":"${oldKey.keyArn}"`);
    expect(instructions).toContain(`"Action":"kms:GenerateDataKey","Resource":"${newKeyArn}"`);
    for (const storageClass of ['STANDARD', 'STANDARD_IA']) {
      expect(instructions).toContain(
        `"S3PutObjectCopy":{"TargetResource":"arn:aws:s3:::payments-data","MetadataDirective":"COPY","SSEAwsKmsKeyId":"${newKeyArn}","BucketKeyEnabled":true,"StorageClass":"${storageClass}"}`,
      );
      expect(instructions).toContain(
        `"Filter":{"MatchAnyObjectEncryption":[{"SSEKMS":{"KmsKeyArn":"${oldKey.keyArn}"}}],"MatchAnyStorageClass":["${storageClass}"]}`,
      );
    }
    expect(copies).toBe(0);
    for (const key of oldKeyObjects) expect((await head('payments-data', key)).SSEKMSKeyId).toBe(oldKey.keyArn);
  });

  it('lists a bucket too large to examine object by object for a batch job, even before an object on the old key is seen', async () => {
    const brief = new S3ReEncrypter(rekeyS3, { maxObjectsExamined: 2 });

    const objects = (await brief.inventory(oldKey, region)).filter((r) => r.kind === 'objects');

    expect(objects.find((r) => r.id === 'payments-logs')).toEqual(
      resource('objects', 'payments-logs', { count: 0, countIsLowerBound: true, batch: true, examined: 2 }),
    );
    // Two objects or fewer: examined to the end, and none is on the old key.
    expect(objects.find((r) => r.id === 'unrelated')).toBeUndefined();
    expect(objects.find((r) => r.id === 'payments-versioned')).toEqual(
      resource('objects', 'payments-versioned', { count: 1, storageClasses: 'STANDARD' }),
    );
  });

  it('moves each bucket default encryption to the new key with an S3 Bucket Key, and leaves it alone the second time', async () => {
    for (const bucket of ['payments-data', 'payments-archive']) {
      const first = await s3ReEncrypter.reEncrypt(resource('bucket', bucket), newKeyArn, oldKey);
      const second = await s3ReEncrypter.reEncrypt(resource('bucket', bucket), newKeyArn, oldKey);

      expect(first).toEqual({
        status: 're-encrypted',
        detail: `bucket ${bucket} now encrypts new objects with ${newKeyArn} and an S3 Bucket Key`,
      });
      expect(
        (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration!.Rules,
      ).toEqual([
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: newKeyArn },
          BucketKeyEnabled: true,
        },
      ]);
      expect(second).toEqual({
        status: 'skipped',
        detail: `bucket ${bucket} already encrypts new objects with ${newKeyArn}`,
      });
    }
  });

  it('copies each object on the old key onto itself under the new key, keeping body, metadata, content type, storage class and tags', async () => {
    const snapshot = async (key: string) => {
      const { ContentType, Metadata, StorageClass, ContentLength, SSEKMSKeyId, ETag, LastModified } = await head(
        'payments-data',
        key,
      );
      return {
        ContentType,
        Metadata,
        StorageClass,
        ContentLength,
        SSEKMSKeyId,
        ETag,
        LastModified,
        tags: await tags('payments-data', key),
        body: await body('payments-data', key),
      };
    };
    const before = Object.fromEntries(
      await Promise.all(
        [...oldKeyObjects, ...untouchedObjects].map(async (key) => [key, await snapshot(key)] as const),
      ),
    );

    const outcome = await s3ReEncrypter.reEncrypt(
      resource('objects', 'payments-data', { count: 3 }),
      newKeyArn,
      oldKey,
    );

    expect(outcome).toEqual({
      status: 're-encrypted',
      detail: `copied 3 objects of bucket payments-data onto themselves under ${newKeyArn}`,
    });
    for (const key of oldKeyObjects) {
      const after = await head('payments-data', key);
      expect(after).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: newKeyArn, BucketKeyEnabled: true });
      const { ContentType, Metadata, StorageClass, ContentLength } = before[key]!;
      expect(after).toMatchObject({ ContentType, Metadata, ContentLength });
      expect(after.StorageClass).toBe(StorageClass);
      expect(await tags('payments-data', key)).toEqual(before[key]!.tags);
      expect(await body('payments-data', key)).toBe(before[key]!.body);
    }
    expect((await head('payments-data', 'invoices/2024 march.pdf')).StorageClass).toBe('STANDARD_IA');
    expect(await tags('payments-data', 'invoices/2024 march.pdf')).toEqual([
      { Key: 'team', Value: 'billing' },
      { Key: 'retention', Value: '7y' },
    ]);
    for (const key of untouchedObjects) expect(await snapshot(key)).toEqual(before[key]);
    expect(before['plain.txt']!.SSEKMSKeyId).toBeUndefined();
    expect(before['other-key.txt']!.SSEKMSKeyId).toBe(otherKeyArn);
  });

  it('copies nothing the second time', async () => {
    const { result: outcome, copies } = await copiesSentDuring(() =>
      s3ReEncrypter.reEncrypt(resource('objects', 'payments-data', { count: 3 }), newKeyArn, oldKey),
    );

    expect(outcome).toEqual({
      status: 'skipped',
      detail: 'no object in bucket payments-data is on the old key any more',
    });
    expect(copies).toBe(0);
  });

  it('notes that older versions stay under the old key when the bucket keeps versions', async () => {
    const outcome = await s3ReEncrypter.reEncrypt(
      resource('objects', 'payments-versioned', { count: 1 }),
      newKeyArn,
      oldKey,
    );

    expect(outcome).toMatchObject({
      status: 're-encrypted',
      detail: `copied 1 object of bucket payments-versioned onto itself under ${newKeyArn}`,
    });
    expect(outcome.status === 're-encrypted' && outcome.notes).toEqual([
      expect.stringContaining(`Versioning is Enabled on bucket payments-versioned`),
    ]);
    const versions = (await s3.send(new ListObjectVersionsCommand({ Bucket: 'payments-versioned' }))).Versions!;
    // This bucket has no default encryption: the Bucket Key comes from the copy request alone.
    expect(
      await head('payments-versioned', 'statement.txt', versions.find((v) => v.IsLatest)!.VersionId),
    ).toMatchObject({ SSEKMSKeyId: newKeyArn, BucketKeyEnabled: true });
    expect(
      (await head('payments-versioned', 'statement.txt', versions.find((v) => !v.IsLatest)!.VersionId)).SSEKMSKeyId,
    ).toBe(oldKey.keyArn);
  });

  it('reports an archived object as needing a restore rather than failing', async () => {
    const outcome = await s3ReEncrypter.reEncrypt(
      resource('objects', 'payments-cold', { count: 1 }),
      newKeyArn,
      oldKey,
    );

    expect(outcome).toMatchObject({
      status: 'needs-human',
      detail: 'copied 0 objects of bucket payments-cold onto the new key; left on the old key for a person: 1 object',
    });
    expect(outcome.status === 'needs-human' && outcome.instructions).toEqual([
      expect.stringContaining('aws s3api restore-object --bucket payments-cold --key KEY'),
      'Archived objects: tape.bin (8 bytes, GLACIER).',
    ]);
    expect((await head('payments-cold', 'tape.bin')).SSEKMSKeyId).toBe(oldKey.keyArn);
  });

  it('skips a bucket deleted since the inventory', async () => {
    expect(await s3ReEncrypter.reEncrypt(resource('bucket', 'payments-gone'), newKeyArn, oldKey)).toEqual({
      status: 'skipped',
      detail: 'bucket payments-gone no longer exists',
    });
    expect(await s3ReEncrypter.reEncrypt(resource('objects', 'payments-gone'), newKeyArn, oldKey)).toEqual({
      status: 'skipped',
      detail: 'bucket payments-gone no longer exists',
    });
  });
});
