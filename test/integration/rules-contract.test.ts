import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { cryptographicOperations } from '../../src/detections/cross-account-key-use';
import { projectRoot } from '../../src/local/stack-definition';
import { activityPartitions } from '../../src/local/rule-targets';
import { valueAtPath } from '../../src/local/activity-stream';
import { useMoto } from '../support/moto';
import { failed, realRecords, record } from '../support/records';

type Json = Record<string, unknown>;

/** Every real KMS CloudTrail record, and every GuardDuty finding, as EventBridge would deliver it. */
const cloudTrailFiles = readdirSync(join(projectRoot, 'test/fixtures/real')).filter(
  (f) => f.endsWith('.ndjson') && !f.includes('guardduty') && !f.includes('eventbridge-native'),
);
const records = cloudTrailFiles
  .flatMap((file) => realRecords(file) as Json[])
  .filter((r) => typeof r.eventID === 'string');
const findings = ['panther-guardduty.ndjson', 'aws-samples-guardduty-automated-response.ndjson']
  .flatMap((file) => realRecords(file) as Json[])
  .concat((realRecords('oluolus-guardduty-eventbridge.ndjson') as Json[]).map((e) => e.detail as Json));
const configChange = JSON.parse(
  readFileSync(join(projectRoot, 'test/fixtures/config/ComplianceChange.rotation-noncompliant.json'), 'utf8'),
);

/** An S3 PutObject data event naming a KMS key (shape of CloudTrail's S3 data events). */
const s3Write = (eventID: string, keyHeader: boolean): Json => ({
  eventVersion: '1.08',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutObject',
  eventTime: '2026-11-20T10:00:00Z',
  awsRegion: 'us-east-1',
  eventID,
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/Alice', accountId: '111122223333' },
  requestParameters: {
    bucketName: 'b',
    key: 'k',
    ...(keyHeader ? { 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:999988887777:key/x' } : {}),
  },
  recipientAccountId: '111122223333',
});

/**
 * An S3 write that named no key, encrypted by the bucket's default KMS key: the key only in the response
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html, "Monitoring default encryption with
 * CloudTrail").
 */
const s3DefaultKmsWrite: Json = {
  ...s3Write('s3:default-kms', false),
  responseElements: {
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:999988887777:key/x',
  },
  additionalEventData: { SSEApplied: 'Default_SSE_KMS' },
};

/** PutBucketEncryption as CloudTrail logs its body (the XML's elements), setting a KMS key or SSE-S3. */
const bucketEncryption = (eventID: string, byDefault: Json): Json => ({
  ...s3Write(eventID, false),
  eventName: 'PutBucketEncryption',
  requestParameters: {
    bucketName: 'b',
    ServerSideEncryptionConfiguration: {
      xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
      Rule: { ApplyServerSideEncryptionByDefault: byDefault, BucketKeyEnabled: true },
    },
  },
});

/**
 * GuardDuty's root credential finding at its default Low severity
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html), derived from the aws-samples
 * access-key finding.
 */
const rootCredentialFinding: Json = (() => {
  const base = findings.find((f) => (f.resource as Json | null)?.resourceType === 'AccessKey')!;
  return { ...base, id: 'root-credential-usage', type: 'Policy:IAMUser/RootCredentialUsage', severity: 2 };
})();

/**
 * A call an AWS service made as itself and KMS refused (test/fixtures/cloudtrail/Decrypt.aws-service-workmail.json,
 * made to fail): the activity rule keeps every error, and such a caller has no principal id to partition by.
 */
const serviceRefusal = { ...failed(record('Decrypt.aws-service-workmail')), eventID: 'derived:service-refusal' };

const entries = [
  {
    Source: 'aws.kms',
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(serviceRefusal),
    id: serviceRefusal.eventID,
  },
  ...records.map((r) => ({
    Source: 'aws.kms',
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(r),
    id: r.eventID as string,
  })),
  ...[...findings, rootCredentialFinding].map((f) => ({
    Source: 'aws.guardduty',
    DetailType: 'GuardDuty Finding',
    Detail: JSON.stringify(f),
    id: `finding:${f.id as string}:${f.severity}`,
  })),
  {
    Source: 'aws.config',
    DetailType: configChange['detail-type'],
    Detail: JSON.stringify(configChange.detail),
    id: 'config:noncompliant',
  },
  {
    Source: 'aws.config',
    DetailType: configChange['detail-type'],
    Detail: JSON.stringify({
      ...configChange.detail,
      newEvaluationResult: { ...configChange.detail.newEvaluationResult, complianceType: 'COMPLIANT' },
    }),
    id: 'config:compliant',
  },
  {
    Source: 'aws.s3',
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(s3Write('s3:with-key', true)),
    id: 's3:with-key',
  },
  {
    Source: 'aws.s3',
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(s3Write('s3:default-encryption', false)),
    id: 's3:default-encryption',
  },
  ...[
    s3DefaultKmsWrite,
    bucketEncryption('s3:bucket-default-kms', {
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: 'arn:aws:kms:us-east-1:999988887777:key/x',
    }),
    bucketEncryption('s3:bucket-default-sse-s3', { SSEAlgorithm: 'AES256' }),
  ].map((detail) => ({
    Source: 'aws.s3',
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(detail),
    id: detail.eventID as string,
  })),
];

const idOf = (event: { source: string; detail: Json }) =>
  event.source === 'aws.guardduty'
    ? `finding:${event.detail.id as string}:${event.detail.severity}`
    : event.source === 'aws.config'
      ? `config:${(event.detail.newEvaluationResult as Json).complianceType === 'COMPLIANT' ? 'compliant' : 'noncompliant'}`
      : (event.detail.eventID as string);

const lifecycleCalls = [
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
  'DisableKey',
  'EnableKey',
  'CreateKey',
  'PutKeyPolicy',
  'CreateGrant',
  'RevokeGrant',
  'RetireGrant',
  'DisableKeyRotation',
  'EnableKeyRotation',
  'DeleteImportedKeyMaterial',
  'ImportKeyMaterial',
  'CreateAlias',
  'UpdateAlias',
  'DeleteAlias',
  'DisconnectCustomKeyStore',
  'DeleteCustomKeyStore',
  'ReplicateKey',
  'UpdatePrimaryRegion',
  // kms-warden's own settings live in tags (containment-tag-changed).
  'TagResource',
  'UntagResource',
];
const activityCalls = [
  ...cryptographicOperations,
  'DescribeKey',
  'GetKeyPolicy',
  'ListGrants',
  'GetKeyRotationStatus',
  'ListResourceTags',
  'ListKeyPolicies',
];
const invokedBy = (r: Json) => (r.userIdentity as Json | undefined)?.invokedBy !== undefined;

describe('rules/ patterns in EventBridge (moto), fed the real records', () => {
  useMoto();
  const arrived: Record<string, string[]> = {};
  /** Each event as a rule delivered it ("rule id"): what EventBridge takes a partition key from. */
  const delivered = new Map<string, Json>();

  beforeAll(async () => {
    const events = new EventBridgeClient({});
    const sqs = new SQSClient({});
    // Every pattern file, and the activity stream's partitions of kms-key-activity.json (rules/activity-stream.cjs).
    const rules = [
      ...readdirSync(join(projectRoot, 'rules'))
        .filter((file) => file.endsWith('.json'))
        .map((file) => ({ key: file, pattern: readFileSync(join(projectRoot, 'rules', file), 'utf8') })),
      ...activityPartitions.map((p) => ({ key: `partition:${p.name}`, pattern: JSON.stringify(p.pattern) })),
    ];
    const queues: Record<string, string> = {};
    for (const { key, pattern } of rules) {
      const name = key.replace('.json', '').replace(':', '-');
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await events.send(new PutRuleCommand({ Name: name, EventPattern: pattern }));
      await events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'queue', Arn: Attributes!.QueueArn }] }));
      queues[key] = QueueUrl!;
    }
    for (let i = 0; i < entries.length; i += 10) {
      const { FailedEntryCount } = await events.send(
        new PutEventsCommand({ Entries: entries.slice(i, i + 10).map(({ id: _id, ...entry }) => entry) }),
      );
      expect(FailedEntryCount).toBe(0);
    }
    for (const [file, QueueUrl] of Object.entries(queues)) {
      arrived[file] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
        if (Messages.length === 0) break;
        arrived[file]!.push(...Messages.map((m) => idOf(JSON.parse(m.Body!))));
        for (const m of Messages) delivered.set(`${file} ${idOf(JSON.parse(m.Body!))}`, JSON.parse(m.Body!));
      }
    }
  });

  const sorted = (ids: string[]) => [...ids].sort();

  it('sends every KMS control-plane call to the lifecycle rule, failed ones included', () => {
    const expected = records
      .filter((r) => lifecycleCalls.includes(r.eventName as string))
      .map((r) => r.eventID as string);
    expect(sorted(arrived['kms-key-lifecycle.json']!)).toEqual(sorted(expected));
    expect(expected).toEqual(expect.arrayContaining(['d818bf03-6655-48e9-8b26-f279a07075fd']));
    expect(records.some((r) => lifecycleCalls.includes(r.eventName as string) && r.errorCode)).toBe(true);
  });

  it('sends crypto and read calls to the activity rule, except those AWS services make for customers, keeping every error', () => {
    const expected = records
      .filter((r) => activityCalls.includes(r.eventName as string) && (!invokedBy(r) || r.errorCode !== undefined))
      .map((r) => r.eventID as string);
    expect(sorted(arrived['kms-key-activity.json']!)).toEqual(sorted([...expected, serviceRefusal.eventID]));
  });

  it("splits the activity rule's events between its stream partitions, each once, each with its partition key", () => {
    const partitions = activityPartitions.map((p) => ({ ...p, ids: arrived[`partition:${p.name}`]! }));
    expect(sorted(partitions.flatMap((p) => p.ids))).toEqual(sorted(arrived['kms-key-activity.json']!));
    // The real records name their callers every way: roles' sessions, users and other accounts, and services.
    expect(Object.fromEntries(partitions.map((p) => [p.name, p.ids.length]))).toEqual({
      'by-role': 4,
      'by-principal': 25,
      unnamed: 1,
    });
    expect(arrived['partition:unnamed']).toEqual([serviceRefusal.eventID]);
    for (const { name, ids, partitionKeyPath } of partitions) {
      if (!partitionKeyPath) continue;
      for (const id of ids) {
        const key = valueAtPath(delivered.get(`partition:${name} ${id}`), partitionKeyPath);
        // Kinesis takes a partition key of 1 to 256 characters.
        expect([id, typeof key, (key ?? '').length > 0 && (key ?? '').length <= 256]).toEqual([id, 'string', true]);
      }
    }
  });

  it('drops the service-made share of crypto calls (measured on the real records)', () => {
    const crypto = records.filter((r) =>
      (cryptographicOperations as readonly string[]).includes(r.eventName as string),
    );
    const kept = crypto.filter((r) => arrived['kms-key-activity.json']!.includes(r.eventID as string));
    // 281 crypto-call records; 255 of them (91%) were made by a service for a customer (the Invictus log's SSM and
    // Secrets Manager traffic, DynamoDB, WorkMail, CloudTrail) and never reach the function.
    expect({ crypto: crypto.length, dropped: crypto.length - kept.length }).toEqual({ crypto: 281, dropped: 255 });
  });

  it('sends credential findings of severity 4 or more, and root credential use at any, to the GuardDuty rule', () => {
    expect(sorted(arrived['guardduty-credential-findings.json']!)).toEqual(
      sorted([
        'finding:8c258d654378414b9bc26f61a93eb816:9',
        'finding:root-credential-usage:2',
        ...findings
          .filter((f) => (f.resource as Json | null)?.resourceType === 'AccessKey' && (f.severity as number) >= 4)
          .map((f) => `finding:${f.id as string}:${f.severity}`),
      ]),
    );
  });

  it('sends NON_COMPLIANT KMS key evaluations to the Config rule', () => {
    expect(arrived['config-kms-compliance.json']).toEqual(['config:noncompliant']);
  });

  it("sends S3 writes under a KMS key, named or the bucket's default, and default encryption set to one, to the S3 rule", () => {
    expect(sorted(arrived['s3-object-kms-key.json']!)).toEqual(
      sorted(['s3:with-key', 's3:default-kms', 's3:bucket-default-kms']),
    );
  });
});
