import { GetBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateJobCommand,
  DescribeJobCommand,
  S3ControlClient,
  S3ControlServiceException,
  type CreateJobRequest,
} from '@aws-sdk/client-s3-control';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ReEncrypter } from '../../../src/aws/rekey/s3';
import type { OldKey, ProtectedResource } from '../../../src/rekey/protected-resource';

const s3 = mockClient(S3Client);
const s3Control = mockClient(S3ControlClient);
const region = 'eu-west-1';
const account = '111122223333';
const oldKey: OldKey = { keyArn: `arn:aws:kms:${region}:${account}:key/0a1b2c3d-old`, aliases: ['alias/payments'] };
const newKeyArn = `arn:aws:kms:${region}:${account}:key/9f8e7d6c-new`;
const roleArn = `arn:aws:iam::${account}:role/kms-warden-s3-rekey`;
const describeJob = (jobId: string) =>
  `aws s3control describe-job --region ${region} --account-id ${account} --job-id ${jobId}`;

const batch = (bucket: string, detail: ProtectedResource['detail'] = {}): ProtectedResource => ({
  service: 's3',
  kind: 'objects',
  id: bucket,
  region,
  detail: {
    count: 10_001,
    countIsLowerBound: true,
    batch: true,
    examined: 10_001,
    storageClasses: 'STANDARD',
    ...detail,
  },
});

/** The adapter under test, with the S3 Control client it asks for per Region recorded. */
const adapter = (
  options: { batchOperationsRoleArn?: string; reportBucket?: string } = { batchOperationsRoleArn: roleArn },
) => {
  const regionsAsked: string[] = [];
  const reEncrypter = new S3ReEncrypter(new S3Client({ region }), {
    ...options,
    s3ControlIn: (asked) => {
      regionsAsked.push(asked);
      return new S3ControlClient({ region: asked });
    },
  });
  return { reEncrypter, regionsAsked };
};

const createJobInputs = (): CreateJobRequest[] =>
  s3Control.commandCalls(CreateJobCommand).map((call) => call.args[0].input);

beforeEach(() => {
  s3.reset();
  s3Control.reset();
  s3.on(GetBucketVersioningCommand).resolves({});
});

describe('S3 objects past maxObjectsInPlace: an S3 Batch Operations job kms-warden creates itself', () => {
  it('creates a copy job onto the bucket itself under the new key with a Bucket Key, over the objects on the old key, in the bucket Region and account', async () => {
    // Prepare
    s3Control.on(CreateJobCommand).resolves({ JobId: 'job-standard' });
    s3Control.on(DescribeJobCommand).resolves({ Job: { JobId: 'job-standard', Status: 'New' } });
    const { reEncrypter, regionsAsked } = adapter();
    // Act
    await reEncrypter.reEncrypt(batch('payments-data'), newKeyArn, oldKey);
    // Assess
    expect(regionsAsked).toEqual([region]);
    expect(createJobInputs()).toEqual([
      {
        AccountId: account,
        ConfirmationRequired: false,
        Operation: {
          S3PutObjectCopy: {
            TargetResource: 'arn:aws:s3:::payments-data',
            MetadataDirective: 'COPY',
            SSEAwsKmsKeyId: newKeyArn,
            BucketKeyEnabled: true,
            StorageClass: 'STANDARD',
          },
        },
        ManifestGenerator: {
          S3JobManifestGenerator: {
            ExpectedBucketOwner: account,
            SourceBucket: 'arn:aws:s3:::payments-data',
            EnableManifestOutput: false,
            Filter: {
              MatchAnyObjectEncryption: [{ SSEKMS: { KmsKeyArn: oldKey.keyArn } }],
              MatchAnyStorageClass: ['STANDARD'],
            },
          },
        },
        Report: { Enabled: false },
        ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
        Description: 'kms-warden re-key of payments-data (STANDARD, attempt 1)',
        Priority: 10,
        RoleArn: roleArn,
        Tags: [{ Key: 'kms-warden:rekey-of', Value: 'payments-data' }],
      },
    ]);
    expect(s3Control).toHaveReceivedCommandWith(DescribeJobCommand, { AccountId: account, JobId: 'job-standard' });
  });

  it('sends the same token on a second call, so S3 answers with the job it already made rather than a second one', async () => {
    // Prepare
    s3Control.on(CreateJobCommand).resolves({ JobId: 'job-standard' });
    s3Control.on(DescribeJobCommand).resolves({ Job: { JobId: 'job-standard', Status: 'Active' } });
    // Act
    await adapter().reEncrypter.reEncrypt(batch('payments-data'), newKeyArn, oldKey);
    await adapter().reEncrypter.reEncrypt(
      batch('payments-data', { count: 12_000, examined: 12_000 }),
      newKeyArn,
      oldKey,
    );
    await adapter().reEncrypter.reEncrypt(batch('payments-logs'), newKeyArn, oldKey);
    // Assess
    const [first, second, otherBucket] = createJobInputs();
    expect(second).toEqual(first);
    expect(otherBucket!.ClientRequestToken).not.toBe(first!.ClientRequestToken);
  });

  it('answers needs-human naming the job, the objects counted and the describe-job command, and says verification passes by itself', async () => {
    // Prepare
    s3Control.on(CreateJobCommand).resolves({ JobId: 'job-standard' });
    s3Control.on(DescribeJobCommand).resolves({ Job: { JobId: 'job-standard', Status: 'Preparing' } });
    // Act
    const outcome = await adapter().reEncrypter.reEncrypt(batch('payments-data'), newKeyArn, oldKey);
    // Assess
    expect(outcome).toMatchObject({
      status: 'needs-human',
      detail: `bucket payments-data is past what kms-warden copies one by one (10001 objects or more on the old key): S3 Batch Operations job copies them onto ${newKeyArn}; job job-standard (STANDARD) is Preparing`,
    });
    const instructions = outcome.status === 'needs-human' ? outcome.instructions : [];
    expect(instructions[0]).toContain(describeJob('job-standard'));
    expect(instructions[1]).toContain('FailureReasons');
    expect(instructions[1]).toContain(roleArn);
    expect(instructions[1]).toContain(`"Action":"kms:Decrypt","Resource":"${oldKey.keyArn}"`);
    expect(instructions[1]).toContain('run re-keying for eu-west-1 again');
    expect(instructions[2]).toContain(
      'verification inventories again and passes by itself once no object in payments-data is on the old key',
    );
  });

  it('makes one job per storage class, each keeping its class, and writes failure reports only where a report bucket is given', async () => {
    // Prepare
    s3Control
      .on(CreateJobCommand)
      .callsFake((input: CreateJobRequest) => ({ JobId: `job-${input.Operation!.S3PutObjectCopy!.StorageClass}` }));
    s3Control.on(DescribeJobCommand).callsFake(({ JobId }: { JobId: string }) => ({ Job: { JobId, Status: 'New' } }));
    const { reEncrypter } = adapter({ batchOperationsRoleArn: roleArn, reportBucket: 'audit-reports' });
    // Act
    const outcome = await reEncrypter.reEncrypt(
      batch('payments-data', { storageClasses: 'STANDARD,STANDARD_IA' }),
      newKeyArn,
      oldKey,
    );
    // Assess
    const inputs = createJobInputs();
    expect(
      inputs.map((i) => [
        i.Operation!.S3PutObjectCopy!.StorageClass,
        i.ManifestGenerator!.S3JobManifestGenerator!.Filter!.MatchAnyStorageClass,
      ]),
    ).toEqual([
      ['STANDARD', ['STANDARD']],
      ['STANDARD_IA', ['STANDARD_IA']],
    ]);
    expect(new Set(inputs.map((i) => i.ClientRequestToken)).size).toBe(2);
    expect(inputs[0]!.Report).toEqual({
      Enabled: true,
      Bucket: 'arn:aws:s3:::audit-reports',
      Prefix: 'kms-warden-rekey',
      Format: 'Report_CSV_20180820',
      ReportScope: 'FailedTasksOnly',
    });
    expect(outcome.status === 'needs-human' && outcome.instructions[0]).toContain(
      `${describeJob('job-STANDARD')} ; ${describeJob('job-STANDARD_IA')}`,
    );
  });

  it('says when the job for this token already completed with failures, and starts the next one for what is left', async () => {
    // Prepare
    s3Control.on(CreateJobCommand).resolvesOnce({ JobId: 'job-first' }).resolves({ JobId: 'job-second' });
    s3Control.on(DescribeJobCommand, { JobId: 'job-first' }).resolves({
      Job: {
        JobId: 'job-first',
        Status: 'Complete',
        ProgressSummary: { TotalNumberOfTasks: 10_500, NumberOfTasksSucceeded: 10_000, NumberOfTasksFailed: 500 },
      },
    });
    s3Control.on(DescribeJobCommand, { JobId: 'job-second' }).resolves({ Job: { JobId: 'job-second', Status: 'New' } });
    // Act
    const outcome = await adapter().reEncrypter.reEncrypt(batch('payments-data'), newKeyArn, oldKey);
    // Assess
    expect(outcome.detail).toContain('job job-second (STANDARD) is New');
    expect(outcome.detail).toContain(
      'earlier job job-first (STANDARD) ended Complete with failures, 10000 of 10500 objects copied, 500 failed',
    );
    const [first, second] = createJobInputs();
    expect(second!.ClientRequestToken).not.toBe(first!.ClientRequestToken);
    expect(second!.Description).toBe('kms-warden re-key of payments-data (STANDARD, attempt 2)');
  });

  it('starts no more than three jobs for a storage class, and says the rest needs a person', async () => {
    // Prepare
    s3Control.on(CreateJobCommand).resolves({ JobId: 'job-failed' });
    s3Control.on(DescribeJobCommand).resolves({
      Job: {
        JobId: 'job-failed',
        Status: 'Failed',
        FailureReasons: [{ FailureCode: 'AccessDenied', FailureReason: 'role cannot read the bucket' }],
      },
    });
    // Act
    const outcome = await adapter().reEncrypter.reEncrypt(batch('payments-data'), newKeyArn, oldKey);
    // Assess
    expect(s3Control).toHaveReceivedCommandTimes(CreateJobCommand, 3);
    expect(outcome.detail).toContain(
      'job job-failed (STANDARD) ended Failed (AccessDenied: role cannot read the bucket)',
    );
    expect(outcome.detail).toContain(
      'that makes 3 STANDARD jobs, the most kms-warden starts: the objects left need a person',
    );
  });

  it('without batchOperationsRoleArn, returns the instructions to create the job by hand and never calls CreateJob', async () => {
    // Act
    const { reEncrypter } = adapter({});
    const outcome = await reEncrypter.reEncrypt(batch('payments-data'), newKeyArn, oldKey);
    // Assess
    expect(outcome).toMatchObject({
      status: 'needs-human',
      detail:
        'bucket payments-data is past what kms-warden copies one by one (10001 objects or more on the old key): an S3 Batch Operations job must copy them',
    });
    const instructions = outcome.status === 'needs-human' ? outcome.instructions.join('\n') : '';
    expect(instructions).toContain(
      `aws s3control create-job --region ${region} --account-id ${account} --role-arn arn:aws:iam::${account}:role/kms-warden-s3-rekey`,
    );
    expect(instructions).toContain('REPORT_BUCKET');
    expect(s3Control).not.toHaveReceivedCommand(CreateJobCommand);
    expect(reEncrypter.iamActions).not.toEqual(expect.arrayContaining(['s3:CreateJob']));
  });

  it('declares s3:CreateJob, s3:DescribeJob and iam:PassRole only when it creates jobs', () => {
    expect(adapter().reEncrypter.iamActions).toEqual(
      expect.arrayContaining(['s3:CreateJob', 's3:DescribeJob', 'iam:PassRole']),
    );
    expect(
      adapter({}).reEncrypter.iamActions.filter((action) => action.endsWith('Job') || action.startsWith('iam:')),
    ).toEqual([]);
  });

  it('lets a CreateJob failure surface', async () => {
    // Prepare
    const denied = new S3ControlServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'not authorized to perform: iam:PassRole',
    });
    s3Control.on(CreateJobCommand).rejects(denied);
    // Act, Assess
    await expect(adapter().reEncrypter.reEncrypt(batch('payments-data'), newKeyArn, oldKey)).rejects.toBe(denied);
    expect(s3Control).not.toHaveReceivedCommand(DescribeJobCommand);
  });
});
