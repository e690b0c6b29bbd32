import {
  GetBucketEncryptionCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ReEncrypter } from '../../../src/aws/rekey/s3';

const s3 = mockClient(S3Client);
const region = 'eu-west-1';
const oldKey = { keyArn: `arn:aws:kms:${region}:111122223333:key/old`, aliases: [] };

beforeEach(() => s3.reset());

describe('S3 inventory', () => {
  it("lists a bucket that refuses to be read as that bucket's alone, for a person, and goes on with the others", async () => {
    s3.on(ListBucketsCommand).resolves({
      Buckets: [
        { Name: 'locked', BucketRegion: region },
        { Name: 'open', BucketRegion: region },
      ],
    });
    s3.on(GetBucketEncryptionCommand, { Bucket: 'locked' }).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        message: 'Access Denied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    s3.on(GetBucketEncryptionCommand, { Bucket: 'open' }).resolves({
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: oldKey.keyArn } }],
      },
    });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    const found = await new S3ReEncrypter(new S3Client({ region })).inventory(oldKey, region);
    expect(found).toEqual([
      {
        service: 's3',
        kind: 'bucket',
        id: 'locked',
        region,
        detail: { unreadable: 'AccessDenied: Access Denied' },
      },
      expect.objectContaining({ service: 's3', kind: 'bucket', id: 'open' }),
    ]);
  });

  it('lists bucket defaults only when told not to examine objects (the plan made before approval)', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'open', BucketRegion: region }] });
    s3.on(GetBucketEncryptionCommand).resolves({
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: oldKey.keyArn } }],
      },
    });
    const found = await new S3ReEncrypter(new S3Client({ region }), { examineObjects: false }).inventory(
      oldKey,
      region,
    );
    expect(found.map((r) => r.kind)).toEqual(['bucket']);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });
});
