import {
  GetObjectCommand,
  HeadBucketCommand,
  InvalidObjectState,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../src/cli/main';
import { captured } from '../../support/captured-io';

/**
 * What S3 refuses a CloudTrail bucket's reader, as S3 answers it (aws-sdk-client-mock: moto lets everything through
 * without IAM, and its IAM enforcement breaks on listings with a "/", see test/integration/replay-s3.test.ts).
 * - HeadBucket without s3:ListBucket: 403 with no body, which the SDK names Forbidden
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html).
 * - GetObject on an object in S3 Glacier Flexible Retrieval or Deep Archive not restored: InvalidObjectState
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
 */
describe('kms-warden replay of a bucket S3 refuses', () => {
  const s3 = mockClient(S3Client);
  const key =
    'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/111122223333_CloudTrail_us-east-1_20261101T0005Z_abcdefghijklmnop.json.gz';
  const replay = async (...argv: string[]) => {
    const run = captured();
    const code = await main(['replay', '--workers', '0', ...argv], run.io);
    return { code, err: run.err };
  };
  beforeEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('says which permission listing needs when the bucket is refused, and exits 2', async () => {
    s3.on(HeadBucketCommand).rejects(
      new S3ServiceException({
        name: 'Forbidden',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'UnknownError',
      }),
    );
    const { code, err } = await replay('s3://trail-bucket/AWSLogs/');
    expect(code).toBe(2);
    expect(err.at(-1)).toBe(
      'kms-warden replay: cannot list s3://trail-bucket/AWSLogs/: Forbidden: UnknownError. Reading a CloudTrail bucket needs s3:ListBucket on it and s3:GetObject on its objects',
    );
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it('names an archived file as unreadable, with what to do, and exits 2', async () => {
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
    // Anything else listed is empty; the walk's own levels answer below (a later, narrower match wins).
    s3.on(ListObjectsV2Command).resolves({});
    s3.on(ListObjectsV2Command, { Prefix: 'AWSLogs/111122223333/CloudTrail/us-east-1/' }).resolves({
      Contents: [{ Key: key, Size: 100, StorageClass: 'GLACIER' }],
    });
    s3.on(ListObjectsV2Command, { Prefix: 'AWSLogs/', Delimiter: '/' }).resolves({
      CommonPrefixes: [{ Prefix: 'AWSLogs/111122223333/' }],
    });
    s3.on(ListObjectsV2Command, { Prefix: 'AWSLogs/111122223333/', Delimiter: '/' }).resolves({
      CommonPrefixes: [{ Prefix: 'AWSLogs/111122223333/CloudTrail/' }],
    });
    s3.on(ListObjectsV2Command, { Prefix: 'AWSLogs/111122223333/CloudTrail/', Delimiter: '/' }).resolves({
      CommonPrefixes: [{ Prefix: 'AWSLogs/111122223333/CloudTrail/us-east-1/' }],
    });
    s3.on(GetObjectCommand).rejects(
      new InvalidObjectState({
        $metadata: { httpStatusCode: 403 },
        message: "The operation is not valid for the object's storage class",
      }),
    );
    const { code, err } = await replay('s3://trail-bucket/AWSLogs/');
    expect(code).toBe(2);
    expect(err).toContain(
      `unreadable: s3://trail-bucket/${key}: could not be read to its end: The operation is not valid for the object's storage class (archived: restore it first, then replay again)`,
    );
    expect(err.at(-1)).toMatch(/^replayed 0 events from 1 file\(s\) .* 0 malformed, 1 unreadable, 0 out of order$/);
  });
});
