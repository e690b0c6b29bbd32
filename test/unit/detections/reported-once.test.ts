import { defaultDetectionSettings, detectSignals } from '../../../src/detections';
import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { InMemoryDetectionMemory } from '../../../src/state/in-memory-detection-memory';
import { s3PutObject } from '../../support/cases/api-call';
import { failed, record, responderRoles, withRequest } from '../../support/records';

const outsideKey = 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * A workload's write the bucket's default encrypted under an outside key (the key in the response only:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html), at a minute, to a bucket, by a user.
 */
const write = (minute: number, { bucket = 'ledger-exports', user = 'app' } = {}): CloudTrailRecord => {
  const base = s3PutObject(outsideKey);
  const { 'x-amz-server-side-encryption-aws-kms-key-id': _key, ...request } = base.requestParameters!;
  return {
    ...base,
    eventID: `write-${bucket}-${user}-${minute}`,
    eventTime: new Date(Date.parse('2026-11-20T10:00:00Z') + minute * 60_000).toISOString(),
    userIdentity: { ...base.userIdentity, arn: `arn:aws:iam::111122223333:user/${user}`, userName: user },
    requestParameters: { ...request, bucketName: bucket, key: `exports/${minute}.csv` },
    responseElements: {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': outsideKey,
    },
  };
};

const signalsOf = (records: CloudTrailRecord[], memory = new InMemoryDetectionMemory()) =>
  records.flatMap((r) =>
    detectSignals(normaliseKmsApiCall(r, { responderRoles }), defaultDetectionSettings, memory).filter(
      (s) => s.detector === 'external-key-encryption',
    ),
  );

describe('a finding that repeats with every call, reported once per window', () => {
  it("raises one signal an hour for a workload writing many objects under a bucket's outside default", () => {
    const minutes = Array.from({ length: 60 }, (_, i) => i);
    const fired = signalsOf([...minutes.map((m) => write(m)), write(61), write(125)]);
    expect(fired.map((s) => s.source.eventId)).toEqual([
      'write-ledger-exports-app-0',
      'write-ledger-exports-app-61',
      'write-ledger-exports-app-125',
    ]);
  });

  it('keeps each bucket and each writer apart', () => {
    const fired = signalsOf([
      write(0),
      write(1, { bucket: 'invoices' }),
      write(2, { user: 'batch' }),
      write(3),
      write(4, { bucket: 'invoices' }),
    ]);
    expect(fired.map((s) => s.source.eventId)).toEqual([
      'write-ledger-exports-app-0',
      'write-invoices-app-1',
      'write-ledger-exports-batch-2',
    ]);
  });

  it('leaves out an earlier event arriving late, within the window', () => {
    expect(signalsOf([write(30), write(10)]).map((s) => s.source.eventId)).toEqual(['write-ledger-exports-app-30']);
  });

  it('remembers at most 100 subjects per principal, the most recent, so many buckets cannot grow its memory', () => {
    const memory = new InMemoryDetectionMemory();
    const buckets = Array.from({ length: 150 }, (_, i) => write(i % 50, { bucket: `b-${i}` }));
    expect(signalsOf(buckets, memory)).toHaveLength(150);
    expect(Object.keys(memory.principal('arn:aws:iam::111122223333:user/app')!.reported!)).toHaveLength(100);
  });

  it('raises every one without memory (one event out of context)', () => {
    const calls = [write(0), write(1)].map((r) => normaliseKmsApiCall(r, { responderRoles }));
    expect(calls.flatMap((c) => detectSignals(c, defaultDetectionSettings))).toHaveLength(2);
  });

  it('raises refused alias attempts once an hour per principal, and every alias change that went through', () => {
    const at = (minute: number) => new Date(Date.parse('2022-08-14T23:08:31Z') + minute * 60_000).toISOString();
    const refused = [1, 2, 3, 4, 5].map((i) => ({
      ...failed(
        withRequest(record('CreateAlias.iam-user'), { aliasName: `alias/aws/s3-${i}` }),
        'InvalidAliasNameException',
      ),
      eventID: `refused-${i}`,
      eventTime: at(i),
    }));
    const updates = [6, 7].map((i) => ({
      ...record('UpdateAlias.iam-user'),
      eventID: `update-${i}`,
      eventTime: at(i),
    }));
    const memory = new InMemoryDetectionMemory();
    const fired = [...refused, ...updates].flatMap((r) =>
      detectSignals(normaliseKmsApiCall(r, { responderRoles }), { ...defaultDetectionSettings }, memory).filter(
        (s) => s.detector === 'alias-retargeted',
      ),
    );
    expect(fired.map((s) => s.source.eventId)).toEqual(['refused-1', 'update-6', 'update-7']);
  });
});
